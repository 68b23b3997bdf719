using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;

namespace MLNetCnn.Scoring;

/// <summary>Row-at-a-time computation for prediction engines: each row is one forward pass (batch of one).</summary>
internal sealed class BatchedRowMapper(BatchScoring scoring, DataViewSchema inputSchema) : IRowToRowMapper
{
    public DataViewSchema InputSchema { get; } = inputSchema;

    public DataViewSchema OutputSchema { get; } = scoring.Outputs.OutputSchema(inputSchema);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var scored = dependingColumns.Any(c => c.Index >= InputSchema.Count);
        var passThrough = dependingColumns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]);
        return scored ? passThrough.Append(InputSchema[scoring.ImageColumnName]).Distinct() : passThrough;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet(), scoring);

    private sealed class MappedRow : DataViewRow
    {
        private readonly BatchedRowMapper mapper;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly BatchScoring scoring;
        private readonly PixelReader? pixels;
        private readonly PixelBuffer? row;   // a batch of one, reused for every row
        private long computedPosition = -1;
        private float[] values = [];

        public MappedRow(BatchedRowMapper mapper, DataViewRow input, HashSet<int> active, BatchScoring scoring)
        {
            this.mapper = mapper;
            this.input = input;
            this.active = active;
            this.scoring = scoring;
            if (active.Any(i => i >= mapper.InputSchema.Count))
            {
                pixels = new PixelReader(input, input.Schema[scoring.ImageColumnName], scoring.Preprocessing);
                row = PixelBuffer.Allocate(scoring.Preprocessing, 1);
                scoring.Computation.BeginScoring();
            }
        }

        public override DataViewSchema Schema => mapper.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var inputCount = mapper.InputSchema.Count;
            if (column.Index < inputCount)
                return input.GetGetter<TValue>(input.Schema[column.Index]);
            return scoring.Outputs.Getter<TValue>(column.Index - inputCount, Current);
        }

        private ReadOnlySpan<float> Current()
        {
            if (computedPosition != input.Position || values.Length == 0)
            {
                values = Compute();
                computedPosition = input.Position;
            }
            return values;
        }

        private float[] Compute()
        {
            row!.Read(pixels!, input.Position, 0);
            return scoring.Computation.Run(row);
        }
    }
}
