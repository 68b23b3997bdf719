using Microsoft.ML;
using MLNetCnn.Data;

namespace MLNetCnn.Quantization;

/// <summary>Reads the calibration rows as the transformer reads rows when it scores: same column, same resize, same pixels.</summary>
internal static class CalibrationRows
{
    /// <exception cref="ArgumentException">The column is missing or of the wrong type, or the data has too few rows.</exception>
    /// <exception cref="InvalidDataException">An image could not be read (the message names the row).</exception>
    public static List<CalibrationBatch> Read(IDataView data, string imageColumnName, CnnPreprocessing preprocessing, int batchSize, CnnQuantizationOptions options)
    {
        var column = InputColumns.CheckImage(data.Schema, imageColumnName, preprocessing);
        using var cursor = data.GetRowCursor([column]);
        var reader = new PixelReader(cursor, column, preprocessing);
        var buffer = PixelBuffer.Allocate(preprocessing, batchSize);
        var batches = new List<CalibrationBatch>();
        var rows = 0;
        float[] scratch = [];

        void Flush()
        {
            if (buffer.Count > 0)
                batches.Add(new CalibrationBatch(buffer.AsFloats(ref scratch).ToArray(), buffer.Shape));
            buffer.Count = 0;
        }

        buffer.Count = 0;
        while (rows < options.MaxCalibrationRows && cursor.MoveNext())
        {
            try
            {
                buffer.Read(reader, cursor.Position, buffer.Count);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Calibration: {e.Message.TrimEnd('.')}{RowDescription.Of(data, cursor.Position)}. Calibrate on readable rows.", e);
            }
            buffer.Count++;
            rows++;
            if (buffer.Count == batchSize)
                Flush();
        }
        Flush();
        if (rows < CnnQuantizationOptions.MinimumCalibrationRows)
            throw new ArgumentException(
                $"Calibration needs at least {CnnQuantizationOptions.MinimumCalibrationRows} rows of column '{imageColumnName}'; the data has {rows}. " +
                "Pass a few hundred rows like those the model will score.", nameof(data));
        return batches;
    }
}
