using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// What every MLNetCnn transformer shares: it reads an image column, runs a network over rows in batches
/// through a lazy data view (or one row at a time for prediction engines), and saves itself as a chain of
/// ML.NET's own transformers.
/// </summary>
public abstract class CnnBatchedTransformer : ITransformer, Scoring.IBatchOutputs
{
    private protected CnnBatchedTransformer()
    {
    }

    /// <summary>The image column read.</summary>
    public abstract string ImageColumnName { get; }

    /// <summary>How rows become network input.</summary>
    public abstract CnnPreprocessing Preprocessing { get; }

    /// <summary>Rows per forward pass.</summary>
    public abstract int BatchSize { get; }

    /// <summary>Whether rows whose image cannot be read give NaN values instead of failing.</summary>
    public abstract bool SkipUnreadableImages { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        InputColumns.CheckImage(inputSchema, ImageColumnName, Preprocessing);
        return AddColumns(inputSchema);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        GetOutputSchema(inputSchema);
        return new Scoring.BatchedRowMapper(this, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new Scoring.BatchedDataView(input, this);
    }

    /// <summary>
    /// Saves as the equivalent chain of ML.NET's own transformers (pixels, <c>ApplyOnnxModel</c> over the network
    /// exported to ONNX, for classifiers a key map), so <c>mlContext.Model.Save</c>/<c>Load</c> work and loading needs no MLNetCnn.
    /// </summary>
    /// <exception cref="NotSupportedException">What cannot be expressed that way (the message says what).</exception>
    public void Save(ModelSaveContext ctx)
    {
        var onnx = Path.Combine(Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}.onnx");
        try
        {
            ((ICanSaveModel)SavedChain(new MLContext(), onnx)).Save(ctx);
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    /// <summary>The ML.NET chain this transformer saves as; the ONNX model goes to <paramref name="onnxPath"/> while it is fitted.</summary>
    private protected abstract ITransformer SavedChain(MLContext ml, string onnxPath);

    /// <summary>The input schema with the columns this transformer adds.</summary>
    private protected abstract DataViewSchema AddColumns(DataViewSchema input);

    /// <summary>Values one forward pass gives per row.</summary>
    private protected abstract int RowWidth { get; }

    /// <summary>Number of columns added.</summary>
    private protected abstract int AddedColumnCount { get; }

    /// <summary>A cursor or prediction engine starts scoring.</summary>
    private protected abstract void BeginScoring();

    /// <summary>Row-major values for a batch of raw images.</summary>
    private protected abstract float[] Compute(Scoring.PixelBatch batch);

    /// <summary>The getter of added column <paramref name="addedColumn"/> over the current row's values.</summary>
    private protected abstract ValueGetter<TValue> Getter<TValue>(int addedColumn, Scoring.ScoreGetters.Probabilities current);

    int Scoring.IBatchOutputs.ValuesPerRow => RowWidth;
    int Scoring.IBatchOutputs.AddedColumns => AddedColumnCount;
    DataViewSchema Scoring.IBatchOutputs.OutputSchema(DataViewSchema input) => AddColumns(input);
    void Scoring.IBatchOutputs.BeginScoring() => BeginScoring();
    float[] Scoring.IBatchOutputs.Compute(Scoring.PixelBatch batch) => Compute(batch);
    ValueGetter<TValue> Scoring.IBatchOutputs.Getter<TValue>(int addedColumn, Scoring.ScoreGetters.Probabilities current) => Getter<TValue>(addedColumn, current);
}
