using static TorchSharp.torch;

namespace MLNetCnn.Data;

/// <summary>One batch of raw (un-normalised) images <c>N x C x H x W</c> and class indices <c>N</c>, on the CPU.</summary>
internal readonly record struct RawBatch(Tensor Images, Tensor Labels) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Where the training loop gets its batches: tensors cached in memory, or rows streamed from the IDataView.</summary>
internal interface IBatchSource : IDisposable
{
    /// <summary>Usable rows.</summary>
    long Count { get; }

    /// <summary>The distinct class indices present.</summary>
    IReadOnlyCollection<long> Classes { get; }

    /// <summary>Rows skipped because their label was missing.</summary>
    long SkippedMissingLabels { get; }

    /// <summary>Rows skipped because their image could not be read.</summary>
    long SkippedUnreadableImages { get; }

    /// <summary>The batches of one pass, shuffled with <paramref name="generator"/> when it is given.</summary>
    IEnumerable<RawBatch> Batches(int batchSize, Generator? generator);

    /// <summary>Per-channel mean and standard deviation of the scaled pixels (up to <paramref name="maxRows"/> rows).</summary>
    (float[] Mean, float[] Std) ChannelStatistics(float pixelScale, int maxRows);
}
