using Microsoft.ML;
using MLNetCnn.Data;

namespace MLNetCnn.Quantization;

/// <summary>
/// Reads the calibration rows as the transformer reads rows when it scores (same column, same resize, same pixels), spread evenly over
/// the data: image folders list their classes one after another, and ranges calibrated on the first class alone would clip the others.
/// </summary>
internal static class CalibrationRows
{
    // Rows per ONNX Runtime run while calibrating: every activation of the batch is held at once.
    private const int BatchSize = 32;

    /// <summary>Reads the rows once; several networks that read the same column at the same size (an ensemble's members) calibrate on them.</summary>
    /// <exception cref="ArgumentException">The column is missing or of the wrong type, or the data has too few rows.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message lists each).</exception>
    /// <exception cref="InvalidDataException">An image could not be read (the message names the row).</exception>
    public static CalibrationSet Read(IDataView data, string imageColumnName, CnnPreprocessing preprocessing, CnnQuantizationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new CnnQuantizationOptions();
        options.Validate();
        var column = InputColumns.CheckImage(data.Schema, imageColumnName, preprocessing);
        var total = data.GetRowCount() ?? CountRows(data);
        if (total < CnnQuantizationOptions.MinimumCalibrationRows)
            throw new ArgumentException(
                $"Calibration needs at least {CnnQuantizationOptions.MinimumCalibrationRows} rows of column '{imageColumnName}'; the data has {total}. " +
                "Pass a few hundred rows like those the model will score.", nameof(data));
        // Rows k * total / count for k = 0 .. count - 1: evenly spaced, from all parts of the data.
        var count = Math.Min(total, options.MaxCalibrationRows);
        long taken = 0;
        using var cursor = data.GetRowCursor([column]);
        var reader = new PixelReader(cursor, column, preprocessing);
        var buffer = PixelBuffer.Allocate(preprocessing, BatchSize);
        var batches = new List<CalibrationBatch>();
        float[] scratch = [];

        void Flush()
        {
            if (buffer.Count > 0)
                batches.Add(new CalibrationBatch(buffer.AsFloats(ref scratch).ToArray(), buffer.Shape));
            buffer.Count = 0;
        }

        buffer.Count = 0;
        while (taken < count && cursor.MoveNext())
        {
            if (cursor.Position != taken * total / count)
                continue;
            taken++;
            try
            {
                buffer.Read(reader, cursor.Position, buffer.Count);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Calibration: {e.Message.TrimEnd('.')}{RowDescription.Of(data, cursor.Position)}. Calibrate on readable rows.", e);
            }
            if (++buffer.Count == BatchSize)
                Flush();
        }
        Flush();
        return new CalibrationSet(batches, options);
    }

    // Moving a cursor that reads no column loads no image.
    private static long CountRows(IDataView data)
    {
        using var cursor = data.GetRowCursor([]);
        long rows = 0;
        while (cursor.MoveNext())
            rows++;
        return rows;
    }
}

/// <summary>Calibration rows as the graphs take them, and the options they were read with.</summary>
internal sealed record CalibrationSet(IReadOnlyList<CalibrationBatch> Batches, CnnQuantizationOptions Options);
