using Microsoft.ML;
using MLNetCnn.Data;

namespace MLNetCnn.Scoring;

/// <summary>
/// Runs the computation over rows in batches: a look-ahead cursor over the image column reads up to
/// <c>BatchSize</c> rows, computes them in one forward pass, and hands out their values one row at a time.
/// </summary>
internal sealed class BatchedRows : IDisposable
{
    private readonly IDataView input;
    private readonly DataViewRowCursor lookahead;
    private readonly PixelReader pixels;
    private readonly BatchScoring scoring;
    private readonly int width;
    private readonly bool[] unreadable;
    private readonly PixelBuffer batch;   // read into for every batch: no per-batch allocation
    private float[] values = [];
    private int index = -1;

    public BatchedRows(IDataView input, BatchScoring scoring)
    {
        this.input = input;
        var image = input.Schema[scoring.ImageColumnName];
        lookahead = input.GetRowCursor([image]);
        pixels = new PixelReader(lookahead, image, scoring.Preprocessing);
        this.scoring = scoring;
        width = scoring.Outputs.ValuesPerRow;
        unreadable = new bool[scoring.BatchSize];
        batch = PixelBuffer.Allocate(scoring.Preprocessing, scoring.BatchSize);
        batch.Count = 0;
        scoring.Computation.BeginScoring();
    }

    /// <summary>Moves to the next row's values (the caller's cursor moves in step).</summary>
    public void Advance()
    {
        if (++index < batch.Count)
            return;
        Fill();
        index = 0;
    }

    /// <summary>Values of the current row; NaN when its image could not be read and skipping is on.</summary>
    public ReadOnlySpan<float> Current => values.AsSpan(index * width, width);

    private void Fill()
    {
        Array.Clear(unreadable);
        var count = 0;
        while (count < scoring.BatchSize && lookahead.MoveNext())
        {
            try
            {
                batch.Read(pixels, lookahead.Position, count);
            }
            catch (InvalidDataException) when (scoring.SkipUnreadableImages)
            {
                unreadable[count] = true;
                batch.Clear(count);   // scored, then replaced by NaN: zeros keep the batch finite
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException(
                    $"{e.Message.TrimEnd('.')}{RowDescription.Of(input, lookahead.Position)}. Fix or remove the row, or train with " +
                    "SkipUnreadableImages = true so that such rows score as missing.", e);
            }
            count++;
        }
        if (count == 0)
            throw new InvalidOperationException("The batching cursor ran past the end of the data.");
        batch.Count = count;
        values = scoring.Computation.Run(batch);
        for (var row = 0; row < count; row++)
            if (unreadable[row])
                values.AsSpan(row * width, width).Fill(float.NaN);
    }

    public void Dispose() => lookahead.Dispose();
}
