using Microsoft.ML;
using MLNetCnn.Data;

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
    private readonly bool[] unreadable;
    private PixelBatch batch;   // its buffers are read into for every batch: no per-batch allocation
    private float[] values = [];
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
        unreadable = new bool[batchSize];
        batch = PixelBatch.Allocate(preprocessing, batchSize);
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
        var length = preprocessing.Length;
        Array.Clear(unreadable);
        count = 0;
        while (count < batchSize && lookahead.MoveNext())
        {
            try
            {
                if (batch.IsBytes) pixels.ReadBytes(lookahead.Position, batch.Bytes.AsSpan(count * length, length));
                else pixels.ReadFloats(lookahead.Position, batch.Floats.AsSpan(count * length, length));
            }
            catch (InvalidDataException) when (skipUnreadable)
            {
                unreadable[count] = true;
                // What a failed read left in the buffer is scored and then replaced by NaN; zeros keep it finite.
                if (batch.IsBytes) batch.Bytes.AsSpan(count * length, length).Clear();
                else batch.Floats.AsSpan(count * length, length).Clear();
            }
            count++;
        }
        if (count == 0)
            throw new InvalidOperationException("The batching cursor ran past the end of the data.");
        batch = batch with { Count = count };
        values = outputs.Compute(batch);
        for (var row = 0; row < count; row++)
            if (unreadable[row])
                values.AsSpan(row * width, width).Fill(float.NaN);
    }

    public void Dispose() => lookahead.Dispose();
}
