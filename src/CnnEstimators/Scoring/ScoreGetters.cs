using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Scoring;

/// <summary>Getters of the Score vector and the PredictedLabel key over a row's probabilities.</summary>
internal static class ScoreGetters
{
    public delegate ReadOnlySpan<float> Probabilities();

    public static ValueGetter<TValue> Score<TValue>(Probabilities probabilities, ScoreColumns columns) => Vector<TValue>(probabilities, columns.ScoreName);

    /// <summary>A float vector column over the row's values.</summary>
    public static ValueGetter<TValue> Vector<TValue>(Probabilities probabilities, string columnName)
    {
        if (typeof(TValue) != typeof(VBuffer<float>))
            throw new InvalidOperationException($"Column '{columnName}' is a vector of Single; asked for {typeof(TValue).Name}.");
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            var current = probabilities();
            var editor = VBufferEditor.Create(ref value, current.Length);
            current.CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    /// <summary>The arg-max as a 1-based key; 0 (missing) for a row without scores.</summary>
    public static ValueGetter<TValue> PredictedLabel<TValue>(Probabilities probabilities, ScoreColumns columns)
    {
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Column '{columns.PredictedLabelName}' is a key of UInt32; asked for {typeof(TValue).Name}.");
        ValueGetter<uint> getter = (ref uint value) =>
        {
            var current = probabilities();
            var best = -1;
            for (var i = 0; i < current.Length; i++)
                if (!float.IsNaN(current[i]) && (best < 0 || current[i] > current[best]))
                    best = i;
            value = (uint)(best + 1);
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }
}
