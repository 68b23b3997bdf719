using Microsoft.ML;
using MLNetCnn.Data;
using MLNetCnn.Ensemble;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// Averages several trained CNN classifiers — the lecture's "train several models and average them" — into one
/// Score and PredictedLabel, so <c>Evaluate</c> judges the ensemble like any classifier. Members may be different
/// architectures; they must share the label's values and read the same image column at the same size.
/// </summary>
public sealed class CnnEnsembleTransformer : CnnBatchedTransformer
{
    internal CnnEnsembleTransformer(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination)
        : base(new BatchScoring(members[0].ImageColumnName, members[0].Preprocessing, members[0].BatchSize,
            members.All(m => m.SkipUnreadableImages), members[0].Outputs, new Combined(members, combination)))
    {
        Members = members;
        Combination = combination;
    }

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<CnnClassifierTransformer> Members { get; }

    /// <summary>How probabilities are combined.</summary>
    public CnnEnsembleCombination Combination { get; }

    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
    {
        var outputs = Members[0].Outputs;
        return NativeScoringChain.Classifier(ml, EnsembleOnnx.Export(Members, Combination, outputs.ScoreName), Preprocessing, ImageColumnName, outputs, onnxPath);
    }

    // Each member scores the batch with its own engine; the probabilities are combined on the CPU.
    private sealed class Combined(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination) : IBatchComputation
    {
        public void BeginScoring()
        {
            foreach (var member in members)
                member.Runner.BeginScoring();
        }

        public float[] Run(PixelBuffer batch)
        {
            using var scope = NewDisposeScope();
            var classes = members[0].Outputs.Classes;
            var probabilities = stack(members.Select(m => tensor(m.Runner.Run(batch), [batch.Count, classes])).ToArray());  // M x N x K
            return EnsembleCombiner.Combine(probabilities, combination).contiguous().data<float>().ToArray();
        }

        // The members belong to the caller.
        public void Dispose()
        {
        }
    }
}
