using MLNetCnn.Persistence;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Ensemble;

/// <summary>
/// An ensemble as one unbatched ONNX graph for the saved ML.NET chain: the image goes into every member (each with its
/// own normalisation and an initializer prefix of its own), and their probabilities are combined; outputs the Score
/// and the one-element arg-max the chain maps to PredictedLabel.
/// </summary>
internal static class EnsembleOnnx
{
    public static byte[] Export(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination, string scoreName)
    {
        var p = members[0].Preprocessing;
        var shapes = new Dictionary<nn.Module, long[]>(ReferenceEqualityComparer.Instance);
        foreach (var model in members.Select(m => m.Model).Distinct())
            foreach (var (module, shape) in OnnxExport.TraceInputShapes(model, p.Channels, p.Height, p.Width, out _))
                shapes[module] = shape;
        var classes = members[0].Outputs.Classes;
        var graph = new OnnxGraph(shapes);
        graph.Graph.Input.Add(OnnxGraph.FloatValue(NativeScoringChain.Pixels, false, p.Channels, p.Height, p.Width));
        var image = graph.Node("Unsqueeze", [NativeScoringChain.Pixels, graph.Int64s("axes", 0)]);
        var terms = new List<string>();
        for (var i = 0; i < members.Count; i++)
        {
            graph.Prefix = $"member{i}.";
            var x = members[i].Preprocessing.Normalization.ExportOnnx(graph, image);
            var probabilities = graph.Node("Softmax", [members[i].Model.ExportGraph(graph, x)], attributes: OnnxGraph.Int("axis", 1));  // 1 x K
            terms.Add(EnsembleCombiner.ExportMemberTerm(graph, probabilities, classes, combination));
        }
        graph.Prefix = "";
        var combined = EnsembleCombiner.ExportCombined(graph, terms, combination);
        graph.Node("Squeeze", [combined, graph.Int64s("axes", 0)], scoreName);
        graph.Graph.Output.Add(OnnxGraph.FloatValue(scoreName, false, classes));
        graph.Node("ArgMax", [combined], NativeScoringChain.Index, OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 0));
        graph.Graph.Output.Add(OnnxGraph.Int64Value(NativeScoringChain.Index, false));
        return OnnxExport.ToModelBytes(graph);
    }
}
