using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>
/// Raw pixels of <see cref="Count"/> rows as the cursor read them, row-major <c>N x C x H x W</c>, before the model's
/// preprocessing: bytes for image columns, floats for vector columns. The arrays are the cursor's buffers, reused for
/// its next batch and possibly longer than the batch, so a runner reads them during its run and keeps nothing.
/// </summary>
internal readonly record struct PixelBatch(CnnPreprocessing Preprocessing, int Count, byte[] Bytes, float[] Floats)
{
    public bool IsBytes => Preprocessing.InputKind == CnnInputKind.Image;

    /// <summary>Values in the batch: <c>Count * C * H * W</c>.</summary>
    public int Length => Count * Preprocessing.Length;

    public long[] Shape => [Count, Preprocessing.Channels, Preprocessing.Height, Preprocessing.Width];

    /// <summary>Buffers for up to <paramref name="rows"/> rows of <paramref name="preprocessing"/>'s input kind; <see cref="Count"/> is <paramref name="rows"/>.</summary>
    public static PixelBatch Allocate(CnnPreprocessing preprocessing, int rows)
    {
        var isBytes = preprocessing.InputKind == CnnInputKind.Image;
        var length = rows * preprocessing.Length;
        return new PixelBatch(preprocessing, rows, isBytes ? new byte[length] : [], isBytes ? [] : new float[length]);
    }

    /// <summary>A CPU tensor copy of the batch (bytes or floats), in the caller's dispose scope.</summary>
    public Tensor ToTensor() => IsBytes
        ? tensor(Bytes.AsSpan(0, Length).ToArray(), Shape)
        : tensor(Floats.AsSpan(0, Length).ToArray(), Shape);
}
