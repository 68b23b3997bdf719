using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Bench;

/// <summary>Reading a data view to the end, as a user's trainer or evaluator would.</summary>
internal static class Cursors
{
    /// <summary>Reads every row's value of a float vector column; returns how many rows there were.</summary>
    public static int Drain(IDataView data, string column)
    {
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> value = default;
        var count = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            count++;
        }
        return count;
    }
}
