using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;

namespace MLNetCnn.Scoring;

/// <summary>Row-at-a-time computation for prediction engines: each row is one forward pass (batch of one).</summary>
internal sealed class BatchedRowMapper(IBatchOutputs outputs, DataViewSchema inputSchema) : IRowToRowMapper
{
    public DataViewSchema InputSchema { get; } = inputSchema;

    public DataViewSchema OutputSchema { get; } = outputs.OutputSchema(inputSchema);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var scored = dependingColumns.Any(c => c.Index >= InputSchema.Count);
        var passThrough = dependingColumns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]);
        return scored ? passThrough.Append(InputSchema[outputs.ImageColumnName]).Distinct() : passThrough;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet(), outputs);

    private sealed class MappedRow : DataViewRow
    {
        private readonly BatchedRowMapper mapper;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly IBatchOutputs outputs;
        private readonly PixelReader? pixels;
        private readonly PixelBatch row;   // a batch of one, its buffer reused for every row
        private long computedPosition = -1;
        private float[] values = [];

        public MappedRow(BatchedRowMapper mapper, DataViewRow input, HashSet<int> active, IBatchOutputs outputs)
        {
            this.mapper = mapper;
            this.input = input;
            this.active = active;
            this.outputs = outputs;
            if (active.Any(i => i >= mapper.InputSchema.Count))
            {
                pixels = new PixelReader(input, input.Schema[outputs.ImageColumnName], outputs.Preprocessing);
                row = PixelBatch.Allocate(outputs.Preprocessing, 1);
                outputs.BeginScoring();
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
            return outputs.Getter<TValue>(column.Index - inputCount, Current);
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
            if (row.IsBytes) pixels!.ReadBytes(input.Position, row.Bytes);
            else pixels!.ReadFloats(input.Position, row.Floats);
            return outputs.Compute(row);
        }
    }
}
