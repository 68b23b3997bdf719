using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Scoring;

/// <summary>
/// The columns a batched CNN transformer adds and their getters over one row's computed values: a classifier's
/// Score and PredictedLabel (<see cref="ClassifierOutputs"/>) or a featurizer's vector (<see cref="FeatureOutputs"/>).
/// The lazy data view, its cursor and the row mapper are written once over this.
/// </summary>
internal abstract class BatchOutputs
{
    /// <summary>The current row's values (NaN when its image could not be read and skipping is on).</summary>
    public delegate ReadOnlySpan<float> RowValues();

    /// <summary>Values one forward pass gives per row.</summary>
    public abstract int ValuesPerRow { get; }

    /// <summary>The input schema followed by the added columns (which hide input columns of the same names).</summary>
    public abstract DataViewSchema OutputSchema(DataViewSchema input);

    /// <summary>The getter of added column <paramref name="addedColumn"/> (0 for the first added) over the row's values.</summary>
    public abstract ValueGetter<TValue> Getter<TValue>(int addedColumn, RowValues current);

    /// <summary>A float vector column over the row's values.</summary>
    protected static ValueGetter<TValue> VectorGetter<TValue>(RowValues current, string columnName)
    {
        if (typeof(TValue) != typeof(VBuffer<float>))
            throw new InvalidOperationException($"Column '{columnName}' is a vector of Single; asked for {typeof(TValue).Name}.");
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            var values = current();
            var editor = VBufferEditor.Create(ref value, values.Length);
            values.CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }
}

/// <summary>A featurizer's one added column: a vector of <see cref="ValuesPerRow"/> floats.</summary>
internal sealed class FeatureOutputs(string columnName, int valuesPerRow) : BatchOutputs
{
    public string ColumnName { get; } = columnName;

    public override int ValuesPerRow { get; } = valuesPerRow;

    public override DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(ColumnName, new VectorDataViewType(NumberDataViewType.Single, ValuesPerRow));
        return builder.ToSchema();
    }

    public override ValueGetter<TValue> Getter<TValue>(int addedColumn, RowValues current) => VectorGetter<TValue>(current, ColumnName);
}
