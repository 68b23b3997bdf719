using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Scoring;

/// <summary>
/// The lazy output of <see cref="CnnClassifierTransformer.Transform"/>: the input's columns plus Score and
/// PredictedLabel, computed in batches only when a cursor asks for them.
/// </summary>
internal sealed class ScoredDataView(IDataView input, CnnClassifierTransformer transformer) : IDataView
{
    public DataViewSchema Schema { get; } = transformer.GetOutputSchema(input.Schema);

    private int ScoreIndex => input.Schema.Count;

    public bool CanShuffle => false;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var inputCount = input.Schema.Count;
        var inputColumns = input.Schema.Where(c => needed.Contains(c.Index)).ToList();
        var scores = needed.Contains(inputCount) || needed.Contains(inputCount + 1)
            ? transformer.CreateRowScores(input)
            : null;
        return new ScoredCursor(this, input.GetRowCursor(inputColumns), scores, needed, transformer.Columns);
    }

    // One cursor: the batching inside it is where the parallelism is.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class ScoredCursor(ScoredDataView view, DataViewRowCursor inputCursor, RowScores? scores, HashSet<int> active, ScoreColumns columns)
        : DataViewRowCursor
    {
        private readonly int scoreIndex = view.ScoreIndex;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => inputCursor.Position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!inputCursor.MoveNext())
                return false;
            scores?.Advance();
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inputCursor.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            if (column.Index < scoreIndex)
                return inputCursor.GetGetter<TValue>(inputCursor.Schema[column.Index]);
            return column.Index == scoreIndex
                ? ScoreGetters.Score<TValue>(() => scores!.Current, columns)
                : ScoreGetters.PredictedLabel<TValue>(() => scores!.Current, columns);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inputCursor.Dispose();
                scores?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
