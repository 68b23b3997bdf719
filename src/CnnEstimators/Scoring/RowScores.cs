using Microsoft.ML;
using MLNetCnn.Data;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>
/// Scores rows in batches: a look-ahead cursor over the image column reads up to <c>batchSize</c> rows,
/// scores them in one forward pass, and hands out their probabilities one row at a time.
/// </summary>
internal sealed class RowScores : IDisposable
{
    private readonly DataViewRowCursor lookahead;
    private readonly PixelReader pixels;
    private readonly BatchScorer scorer;
    private readonly CnnPreprocessing preprocessing;
    private readonly int batchSize;
    private readonly bool skipUnreadable;
    private float[] probabilities = [];
    private bool[] unreadable = [];
    private int count;
    private int index = -1;

    public RowScores(IDataView input, DataViewSchema.Column image, BatchScorer scorer, CnnPreprocessing preprocessing, int batchSize, bool skipUnreadable)
    {
        lookahead = input.GetRowCursor([image]);
        pixels = new PixelReader(lookahead, image, preprocessing);
        this.scorer = scorer;
        this.preprocessing = preprocessing;
        this.batchSize = batchSize;
        this.skipUnreadable = skipUnreadable;
    }

    /// <summary>Moves to the next row's scores (the caller's cursor moves in step).</summary>
    public void Advance()
    {
        if (++index < count)
            return;
        Fill();
        index = 0;
    }

    /// <summary>Probabilities of the current row; NaN when its image could not be read and skipping is on.</summary>
    public ReadOnlySpan<float> Current => probabilities.AsSpan(index * scorer.Classes, scorer.Classes);

    /// <summary>Whether the current row's image could not be read.</summary>
    public bool CurrentUnreadable => unreadable[index];

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
            throw new InvalidOperationException("The scoring cursor ran past the end of the data.");
        using var scope = NewDisposeScope();
        long[] shape = [count, preprocessing.Channels, preprocessing.Height, preprocessing.Width];
        var batch = isBytes ? tensor(bytes.AsSpan(0, count * length).ToArray(), shape) : tensor(floats.AsSpan(0, count * length).ToArray(), shape);
        probabilities = scorer.Probabilities(batch);
        for (var row = 0; row < count; row++)
            if (unreadable[row])
                probabilities.AsSpan(row * scorer.Classes, scorer.Classes).Fill(float.NaN);
    }

    public void Dispose() => lookahead.Dispose();
}
