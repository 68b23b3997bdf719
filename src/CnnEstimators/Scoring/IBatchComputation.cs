using MLNetCnn.Data;

namespace MLNetCnn.Scoring;

/// <summary>What turns a batch of raw pixels into each row's values: one network (<see cref="NetworkRunner"/>) or an ensemble of them.</summary>
internal interface IBatchComputation : IDisposable
{
    /// <summary>A cursor or prediction engine starts scoring: the networks' current weights are the ones to use.</summary>
    void BeginScoring();

    /// <summary>Row-major <c>N x ValuesPerRow</c> values for the buffer's rows.</summary>
    float[] Run(PixelBuffer batch);
}

/// <summary>
/// Everything the lazy data view, its cursor and the row mapper need of a batched CNN transformer: which column to read
/// and how, rows per forward pass, what is computed and what columns it becomes.
/// </summary>
internal sealed record BatchScoring(
    string ImageColumnName, CnnPreprocessing Preprocessing, int BatchSize, bool SkipUnreadableImages, BatchOutputs Outputs, IBatchComputation Computation);
