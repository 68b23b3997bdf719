using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Data;

/// <summary>
/// Walks an IDataView's image and key-label columns row by row, skipping rows without a label and,
/// when asked, rows whose image cannot be read; both are counted.
/// </summary>
internal sealed class LabeledRowReader : IDisposable
{
    private readonly IDataView data;
    private readonly DataViewRowCursor cursor;
    private readonly PixelReader pixels;
    private readonly ValueGetter<uint> labelGetter;
    private readonly bool skipUnreadable;
    private uint label;

    public LabeledRowReader(IDataView data, DataViewSchema.Column image, DataViewSchema.Column label, CnnPreprocessing preprocessing, bool skipUnreadable)
    {
        this.data = data;
        cursor = data.GetRowCursor([image, label]);
        pixels = new PixelReader(cursor, image, preprocessing);
        labelGetter = cursor.GetGetter<uint>(label);
        this.skipUnreadable = skipUnreadable;
    }

    /// <summary>Rows skipped because their label was missing.</summary>
    public long MissingLabels { get; private set; }

    /// <summary>Rows skipped because their image could not be read.</summary>
    public long UnreadableImages { get; private set; }

    /// <summary>Moves to the next usable row and reads it into row <paramref name="slot"/> of <paramref name="into"/>; false at the end.</summary>
    /// <param name="into">The buffer the row's pixels go to.</param>
    /// <param name="slot">The row of the buffer.</param>
    /// <param name="classIndex">The label as a 0-based class index.</param>
    public bool Next(PixelBuffer into, int slot, out long classIndex)
    {
        while (cursor.MoveNext())
        {
            labelGetter(ref label);
            if (label == 0)
            {
                MissingLabels++;
                continue;
            }
            try
            {
                into.Read(pixels, cursor.Position, slot);
            }
            catch (InvalidDataException) when (skipUnreadable)
            {
                UnreadableImages++;
                continue;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException(
                    $"{e.Message.TrimEnd('.')}{RowDescription.Of(data, cursor.Position)}. Fix or remove the row, or set SkipUnreadableImages = true to skip such rows (they are counted).", e);
            }
            classIndex = label - 1;
            return true;
        }
        classIndex = -1;
        return false;
    }

    public void Dispose() => cursor.Dispose();
}
