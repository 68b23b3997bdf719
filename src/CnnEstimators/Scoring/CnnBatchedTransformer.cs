using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Scoring;

namespace MLNetCnn;

/// <summary>
/// What every MLNetCnn transformer shares: it reads an image column, runs a network over rows in batches
/// through a lazy data view (or one row at a time for prediction engines), and saves itself as a chain of
/// ML.NET's own transformers.
/// </summary>
public abstract class CnnBatchedTransformer : ITransformer
{
    private protected CnnBatchedTransformer(BatchScoring scoring) => Scoring = scoring;

    /// <summary>The image column read.</summary>
    public string ImageColumnName => Scoring.ImageColumnName;

    /// <summary>How rows become network input.</summary>
    public CnnPreprocessing Preprocessing => Scoring.Preprocessing;

    /// <summary>Rows per forward pass.</summary>
    public int BatchSize => Scoring.BatchSize;

    /// <summary>Whether rows whose image cannot be read give NaN values instead of failing.</summary>
    public bool SkipUnreadableImages => Scoring.SkipUnreadableImages;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <summary>What is read, computed and added; the data view, its cursor and the row mapper work from it.</summary>
    private protected BatchScoring Scoring { get; }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ThrowIfDisposed("Scoring");
        InputColumns.CheckImage(inputSchema, ImageColumnName, Preprocessing);
        return Scoring.Outputs.OutputSchema(inputSchema);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        GetOutputSchema(inputSchema);
        return new BatchedRowMapper(Scoring, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new BatchedDataView(input, Scoring);
    }

    /// <summary>
    /// Saves as the equivalent chain of ML.NET's own transformers (pixels, <c>ApplyOnnxModel</c> over the network
    /// exported to ONNX, for classifiers a key map), so <c>mlContext.Model.Save</c>/<c>Load</c> work and loading needs no MLNetCnn.
    /// </summary>
    /// <exception cref="NotSupportedException">What cannot be expressed that way (the message says what).</exception>
    public void Save(ModelSaveContext ctx)
    {
        ThrowIfDisposed("Saving");
        // ApplyOnnxModel reads its file again when the chain is saved, so the file lives until then.
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

    /// <summary>Refuses <paramref name="use"/> of a transformer whose native resources were freed, saying so (the default: never).</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    private protected virtual void ThrowIfDisposed(string use)
    {
    }

    /// <summary>The ML.NET chain this transformer saves as; the ONNX model goes to <paramref name="onnxPath"/> while it is fitted and saved.</summary>
    private protected abstract ITransformer SavedChain(MLContext ml, string onnxPath);
}
