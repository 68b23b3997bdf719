using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Scoring;

/// <summary>
/// The lazy output of a CNN transformer: the input's columns plus the added ones, computed in batches only
/// when a cursor asks for them.
/// </summary>
internal sealed class BatchedDataView(IDataView input, BatchScoring scoring) : IDataView
{
    public DataViewSchema Schema { get; } = scoring.Outputs.OutputSchema(input.Schema);

    private int FirstAdded => input.Schema.Count;

    public bool CanShuffle => false;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var inputCount = input.Schema.Count;
        var inputColumns = input.Schema.Where(c => needed.Contains(c.Index)).ToList();
        var rows = needed.Any(i => i >= inputCount) ? new BatchedRows(input, scoring) : null;
        return new Cursor(this, input.GetRowCursor(inputColumns), rows, needed, scoring.Outputs);
    }

    // One cursor: the batching inside it is where the parallelism is.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(BatchedDataView view, DataViewRowCursor inputCursor, BatchedRows? rows, HashSet<int> active, BatchOutputs outputs)
        : DataViewRowCursor
    {
        private readonly int firstAdded = view.FirstAdded;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => inputCursor.Position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!inputCursor.MoveNext())
                return false;
            rows?.Advance();
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inputCursor.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            if (column.Index < firstAdded)
                return inputCursor.GetGetter<TValue>(inputCursor.Schema[column.Index]);
            return outputs.Getter<TValue>(column.Index - firstAdded, () => rows!.Current);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inputCursor.Dispose();
                rows?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
