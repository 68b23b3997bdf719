using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetCnn.Data;
using MLNetCnn.Ensemble;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;

namespace MLNetCnn;

/// <summary>
/// Averages several trained CNN classifiers — the lecture's "train several models and average them" — into one
/// Score and PredictedLabel, so <c>Evaluate</c> judges the ensemble like any classifier. Members may be different
/// architectures; they must share the label's values and read the same image column at the same size.
/// </summary>
public sealed class CnnEnsembleTransformer : CnnBatchedTransformer, IDisposable
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

    /// <summary>Frees the session that combines the members' probabilities; the members belong to the caller and are not disposed.</summary>
    public void Dispose() => Scoring.Computation.Dispose();

    // Each member scores the batch with its own engine; their probabilities are combined by the combination's ONNX graph.
    private sealed class Combined(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination) : IBatchComputation
    {
        private readonly int classes = members[0].Outputs.Classes;
        private readonly RunOptions runOptions = new();
        private readonly Lazy<InferenceSession> session = new(() =>
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            return new InferenceSession(EnsembleCombiner.CombinationGraph(members.Count, members[0].Outputs.Classes, combination), options);
        });

        public void BeginScoring()
        {
            foreach (var member in members)
                member.Runner.BeginScoring();
        }

        public float[] Run(PixelBuffer batch)
        {
            long[] shape = [batch.Count, classes];
            var inputs = members.Select(m => OrtValue.CreateTensorValueFromMemory(m.Runner.Run(batch), shape)).ToList();
            try
            {
                using var outputs = session.Value.Run(runOptions, members.Select((_, i) => EnsembleCombiner.MemberInput(i)).ToList(), inputs,
                    [EnsembleCombiner.Output]);
                return outputs[0].GetTensorDataAsSpan<float>().ToArray();
            }
            finally
            {
                inputs.ForEach(input => input.Dispose());
            }
        }

        public void Dispose()
        {
            if (session.IsValueCreated)
                session.Value.Dispose();
            runOptions.Dispose();
        }
    }
}
