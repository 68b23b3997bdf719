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
/// The combination, written once for both places it runs: on TorchSharp tensors when the ensemble scores in memory, and
/// as ONNX nodes in the graph the ensemble saves as. Each rule's tensor form and graph form sit side by side.
/// </summary>
internal static class EnsembleCombiner
{
    // Probabilities are floored before the logarithm so that a zero from one member does not zero the geometric mean's class outright.
    private const float Floor = 1e-30f;

    /// <summary>Members' probabilities <c>M x N x K</c> to the ensemble's <c>N x K</c>.</summary>
    public static Tensor Combine(Tensor probabilities, CnnEnsembleCombination combination) => combination switch
    {
        CnnEnsembleCombination.GeometricMean => Normalised(probabilities.clamp_min(Floor).log().mean([0]).exp()),
        CnnEnsembleCombination.MajorityVote => nn.functional.one_hot(probabilities.argmax(2), probabilities.shape[2]).to_type(ScalarType.Float32).mean([0]),
        _ => probabilities.mean([0]),
    };

    private static Tensor Normalised(Tensor scores) => scores / scores.sum(1, keepdim: true);

    /// <summary>One member's <c>1 x K</c> probabilities as the term the graph averages (the probabilities, their logarithm, or a one-hot vote).</summary>
    public static string ExportMemberTerm(OnnxGraph graph, string probabilities, long classes, CnnEnsembleCombination combination) => combination switch
    {
        CnnEnsembleCombination.GeometricMean => graph.Node("Log", [graph.Node("Max", [probabilities, graph.Floats("floor", [Floor])])]),
        CnnEnsembleCombination.MajorityVote => graph.Node("Squeeze", [graph.Node("OneHot",
            [graph.Node("ArgMax", [probabilities], attributes: [OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 1)]),
             graph.Int64s("depth", classes), graph.Floats("one_hot_values", [0f, 1f], 2)], attributes: OnnxGraph.Int("axis", -1)),
            graph.Int64s("axes", 1)]),
        _ => probabilities,
    };

    /// <summary>The mean of the members' terms, mapped back to probabilities (the geometric mean exponentiated and normalised).</summary>
    public static string ExportCombined(OnnxGraph graph, IReadOnlyList<string> terms, CnnEnsembleCombination combination)
    {
        var mean = graph.Node("Div", [graph.Node("Sum", terms), graph.Floats("members", [terms.Count])]);
        if (combination != CnnEnsembleCombination.GeometricMean)
            return mean;
        var scores = graph.Node("Exp", [mean]);
        return graph.Node("Div", [scores, graph.Node("ReduceSum", [scores, graph.Int64s("axes", 1)], attributes: OnnxGraph.Int("keepdims", 1))]);
    }
}
