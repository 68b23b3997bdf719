using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetCnn.Data;
using MLNetCnn.Ensemble;
using MLNetCnn.Persistence;
using MLNetCnn.Quantization;
using MLNetCnn.Scoring;

namespace MLNetCnn;

/// <summary>
/// Averages several trained CNN classifiers — the lecture's "train several models and average them" — into one
/// Score and PredictedLabel, so <c>Evaluate</c> judges the ensemble like any classifier. Members may be different
/// architectures; they must share the label's values and read the same image column at the same size.
/// </summary>
public sealed class CnnEnsembleTransformer : CnnBatchedTransformer, IDisposable
{
    private readonly bool ownsMembers;

    internal CnnEnsembleTransformer(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination, bool ownsMembers = false)
        : base(new BatchScoring(members[0].ImageColumnName, members[0].Preprocessing, members[0].BatchSize,
            members.All(m => m.SkipUnreadableImages), members[0].Outputs, new Combined(members, combination)))
    {
        Members = members;
        Combination = combination;
        this.ownsMembers = ownsMembers;
    }

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<CnnClassifierTransformer> Members { get; }

    /// <summary>How probabilities are combined.</summary>
    public CnnEnsembleCombination Combination { get; }

    /// <summary>Whether every member scores through an int8 graph (<see cref="Quantize"/>).</summary>
    public bool IsQuantized => Members.All(m => m.IsQuantized);

    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
    {
        var outputs = Members[0].Outputs;
        return NativeScoringChain.Classifier(ml, SingleImageGraph.FromBatched(EnsembleOnnx.Batched(Members, Combination), NativeScoringChain.Pixels,
            outputs.ScoreName, NativeScoringChain.Index), Preprocessing, ImageColumnName, outputs, onnxPath);
    }

    /// <summary>
    /// Post-training static quantization of every member (see <see cref="CnnClassifierTransformer.Quantize"/>), each calibrated on the same
    /// rows of <paramref name="calibrationData"/>: an ensemble of the int8 members, combined as this one. <c>mlContext.Model.Save</c> writes
    /// one graph of the int8 members. This ensemble is unchanged; the new one shares the members' networks, so dispose it first.
    /// </summary>
    /// <param name="calibrationData">Rows with the members' image column; at most <see cref="CnnQuantizationOptions.MaxCalibrationRows"/> are read.</param>
    /// <param name="options">The calibration method and row count; null for MinMax over 256 rows.</param>
    /// <exception cref="ArgumentException">The image column is missing or of another type, or the data has too few rows.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message lists each).</exception>
    /// <exception cref="InvalidOperationException">A member is quantized already (the message names it).</exception>
    /// <exception cref="NotSupportedException">A member's model has no ONNX export.</exception>
    public CnnEnsembleTransformer Quantize(IDataView calibrationData, CnnQuantizationOptions? options = null)
    {
        if (Members.Select((m, i) => (m, i)).Where(x => x.m.IsQuantized).Select(x => x.i).ToList() is { Count: > 0 } quantized)
            throw new InvalidOperationException(
                $"Member(s) {string.Join(", ", quantized)} are quantized already; quantize the ensemble of the float members.");
        // The members read the same column at the same size (the estimator checked), and normalise inside their graphs: one read serves all.
        var calibration = CalibrationRows.Read(calibrationData, ImageColumnName, Preprocessing, options);
        var members = new List<CnnClassifierTransformer>();
        try
        {
            foreach (var member in Members)
                members.Add(member.QuantizedOn(calibration));
        }
        catch
        {
            members.ForEach(m => m.Dispose());
            throw;
        }
        return new CnnEnsembleTransformer(members, Combination, ownsMembers: true);
    }

    /// <summary>
    /// Frees the session that combines the members' probabilities. The members belong to the caller and are not disposed, except those
    /// <see cref="Quantize"/> made (their sessions; the networks stay the float members').
    /// </summary>
    public void Dispose()
    {
        Scoring.Computation.Dispose();
        if (ownsMembers)
            foreach (var member in Members)
                member.Dispose();
    }

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
