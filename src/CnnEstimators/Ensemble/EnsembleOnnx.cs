using Google.Protobuf;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using Onnx;
using static TorchSharp.torch;

namespace MLNetCnn.Ensemble;

/// <summary>
/// An ensemble as one batched ONNX graph in the runner's form (raw pixels <c>N x C x H x W</c> in, combined probabilities <c>N x K</c>
/// out): every member's own scoring graph (float or int8, with its normalisation and test-time flip) under a name prefix of its own,
/// reading the one input, then the combination. The saved ML.NET chain runs it, so a saved ensemble scores as its members did.
/// </summary>
internal static class EnsembleOnnx
{
    public static byte[] Batched(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination)
    {
        var classes = members[0].Outputs.Classes;
        var graph = new OnnxGraph(new Dictionary<nn.Module, long[]>());
        var terms = new List<string>();
        for (var i = 0; i < members.Count; i++)
        {
            var member = ModelProto.Parser.ParseFrom(members[i].ScoringGraph()).Graph;
            if (i == 0)
                graph.Graph.Input.Add(member.Input.Single());
            var probabilities = AddMember(graph.Graph, member, $"member{i}.");
            terms.Add(EnsembleCombiner.ExportMemberTerm(graph, probabilities, classes, combination));
        }
        graph.Node("Identity", [EnsembleCombiner.ExportCombined(graph, terms, combination)], OnnxRuntimeRunner.OutputName);
        graph.Graph.Output.Add(OnnxGraph.FloatValue(OnnxRuntimeRunner.OutputName, true, classes));
        return OnnxExport.ToModelBytes(graph);
    }

    // Copies the member's nodes and initializers with every name prefixed, except the shared input; returns the member's output.
    private static string AddMember(GraphProto ensemble, GraphProto member, string prefix)
    {
        var input = member.Input.Single().Name;
        string Rename(string name) => name.Length == 0 || name == input ? name : prefix + name;
        foreach (var initializer in member.Initializer)
        {
            var copy = initializer.Clone();
            copy.Name = Rename(copy.Name);
            ensemble.Initializer.Add(copy);
        }
        foreach (var node in member.Node)
        {
            var copy = node.Clone();
            copy.Name = prefix + copy.Name;
            for (var j = 0; j < copy.Input.Count; j++)
                copy.Input[j] = Rename(copy.Input[j]);
            for (var j = 0; j < copy.Output.Count; j++)
                copy.Output[j] = Rename(copy.Output[j]);
            ensemble.Node.Add(copy);
        }
        return Rename(member.Output.Single().Name);
    }
}
