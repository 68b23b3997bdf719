using Microsoft.ML;
using MLNetCnn.Data;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>
/// Runs the network over rows in batches: a look-ahead cursor over the image column reads up to
/// <c>BatchSize</c> rows, computes them in one forward pass, and hands out their values one row at a time.
/// </summary>
internal sealed class BatchedRows : IDisposable
{
    private readonly DataViewRowCursor lookahead;
    private readonly PixelReader pixels;
    private readonly IBatchOutputs outputs;
    private readonly CnnPreprocessing preprocessing;
    private readonly int batchSize;
    private readonly bool skipUnreadable;
    private readonly int width;
    private float[] values = [];
    private bool[] unreadable = [];
    private int count;
    private int index = -1;

    public BatchedRows(IDataView input, IBatchOutputs outputs)
    {
        var image = input.Schema[outputs.ImageColumnName];
        lookahead = input.GetRowCursor([image]);
        preprocessing = outputs.Preprocessing;
        pixels = new PixelReader(lookahead, image, preprocessing);
        this.outputs = outputs;
        batchSize = outputs.BatchSize;
        skipUnreadable = outputs.SkipUnreadableImages;
        width = outputs.ValuesPerRow;
        outputs.BeginScoring();
    }

    /// <summary>Moves to the next row's values (the caller's cursor moves in step).</summary>
    public void Advance()
    {
        if (++index < count)
            return;
        Fill();
        index = 0;
    }

    /// <summary>Values of the current row; NaN when its image could not be read and skipping is on.</summary>
    public ReadOnlySpan<float> Current => values.AsSpan(index * width, width);

    private void Fill()
    {
        var isBytes = preprocessing.InputKind == CnnInputKind.Image;
        var length = preprocessing.Length;
        var bytes = isBytes ? new byte[batchSize * length] : [];
        var floats = isBytes ? [] : new float[batchSize * length];
        unreadable = new bool[batchSize];
        count = 0;
        while (count < batchSize && lookahead.MoveNext())
        {
            try
            {
                if (isBytes) pixels.ReadBytes(lookahead.Position, bytes.AsSpan(count * length, length));
                else pixels.ReadFloats(lookahead.Position, floats.AsSpan(count * length, length));
            }
            catch (InvalidDataException) when (skipUnreadable)
            {
                unreadable[count] = true;
            }
            count++;
        }
        if (count == 0)
            throw new InvalidOperationException("The batching cursor ran past the end of the data.");
        using var scope = NewDisposeScope();
        long[] shape = [count, preprocessing.Channels, preprocessing.Height, preprocessing.Width];
        var batch = isBytes ? tensor(bytes.AsSpan(0, count * length).ToArray(), shape) : tensor(floats.AsSpan(0, count * length).ToArray(), shape);
        values = outputs.Compute(batch);
        for (var row = 0; row < count; row++)
            if (unreadable[row])
                values.AsSpan(row * width, width).Fill(float.NaN);
    }

    public void Dispose() => lookahead.Dispose();
}
