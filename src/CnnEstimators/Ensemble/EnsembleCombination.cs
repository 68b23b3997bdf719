using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>How an ensemble combines its members' class probabilities.</summary>
public enum CnnEnsembleCombination
{
    /// <summary>The mean of the probabilities (AlexNet's ensemble).</summary>
    Mean,

    /// <summary>The normalised geometric mean: members must agree for a class to score high.</summary>
    GeometricMean,

    /// <summary>The share of members whose top class it is (ties go to the lower key).</summary>
    MajorityVote,
}

/// <summary>
/// The combination, written once, as ONNX nodes: the graph the ensemble saves as holds them after its members, and the
/// ensemble scoring in memory runs the same nodes alone (<see cref="CombinationGraph"/>) in ONNX Runtime over the
/// members' probabilities, so both give the same numbers by construction.
/// </summary>
internal static class EnsembleCombiner
{
    /// <summary>The name of member <c>i</c>'s probabilities (<c>N x K</c>) in <see cref="CombinationGraph"/>.</summary>
    public static string MemberInput(int member) => $"member{member}";

    /// <summary>The output of <see cref="CombinationGraph"/>: the ensemble's <c>N x K</c> probabilities.</summary>
    public const string Output = "combined";

    // Probabilities are floored before the logarithm so that a zero from one member does not zero the geometric mean's class outright.
    private const float Floor = 1e-30f;

    /// <summary>A graph from <paramref name="members"/> inputs of <c>N x K</c> probabilities to their combination, for scoring in memory.</summary>
    public static byte[] CombinationGraph(int members, long classes, CnnEnsembleCombination combination)
    {
        var graph = new OnnxGraph(new Dictionary<nn.Module, long[]>());
        var terms = new List<string>();
        for (var i = 0; i < members; i++)
        {
            graph.Graph.Input.Add(OnnxGraph.FloatValue(MemberInput(i), true, classes));
            terms.Add(ExportMemberTerm(graph, MemberInput(i), classes, combination));
        }
        graph.Node("Identity", [ExportCombined(graph, terms, combination)], Output);
        graph.Graph.Output.Add(OnnxGraph.FloatValue(Output, true, classes));
        return OnnxExport.ToModelBytes(graph);
    }

    /// <summary>One member's <c>N x K</c> probabilities as the term the graph averages (the probabilities, their logarithm, or a one-hot vote).</summary>
    public static string ExportMemberTerm(OnnxGraph graph, string probabilities, long classes, CnnEnsembleCombination combination) => combination switch
    {
        CnnEnsembleCombination.GeometricMean => graph.Node("Log", [graph.Node("Max", [probabilities, graph.Floats("floor", [Floor])])]),
        CnnEnsembleCombination.MajorityVote => graph.Node("Squeeze", [graph.Node("OneHot",
            [graph.Node("ArgMax", [probabilities], attributes: [OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 1)]),
             graph.Int64s("depth", classes), graph.Floats("one_hot_values", [0f, 1f], 2)], attributes: OnnxGraph.Int("axis", -1)),
            graph.Int64s("axes", 1)]),
        _ => probabilities,
    };

    /// <summary>The mean of the members' <c>N x K</c> terms, mapped back to probabilities (the geometric mean exponentiated and normalised).</summary>
    public static string ExportCombined(OnnxGraph graph, IReadOnlyList<string> terms, CnnEnsembleCombination combination)
    {
        var mean = graph.Node("Div", [graph.Node("Sum", terms), graph.Floats("members", [terms.Count])]);
        if (combination != CnnEnsembleCombination.GeometricMean)
            return mean;
        var scores = graph.Node("Exp", [mean]);
        return graph.Node("Div", [scores, graph.Node("ReduceSum", [scores, graph.Int64s("axes", 1)], attributes: OnnxGraph.Int("keepdims", 1))]);
    }
}
