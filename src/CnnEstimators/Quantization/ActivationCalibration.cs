using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>One batch of calibration input, as the graph takes it: <c>N x C x H x W</c> floats.</summary>
internal sealed record CalibrationBatch(float[] Values, long[] Shape);

/// <summary>The range each activation must cover, measured by running the float graph over the calibration rows in ONNX Runtime.</summary>
internal static class ActivationCalibration
{
    private const int HistogramBins = 4096;

    /// <summary>The range of each named value of the float <paramref name="model"/> over the batches, by the chosen method.</summary>
    public static Dictionary<string, (float Min, float Max)> Ranges(ModelProto model, IReadOnlyList<string> values, IReadOnlyList<CalibrationBatch> batches,
        CnnQuantizationOptions options)
    {
        using var session = ObservingSession(model, values);
        var input = model.Graph.Input[0].Name;
        var ranges = values.ToDictionary(v => v, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity));
        foreach (var batch in batches)
            Observe(session, input, batch, values, (name, data) => ranges[name] = Widen(ranges[name], data));
        if (options.Method == CnnCalibrationMethod.MinMax)
            return ranges;

        // A second pass counts the values in a histogram over each min-max range, then cuts both tails.
        var histograms = values.ToDictionary(v => v, _ => new long[HistogramBins]);
        foreach (var batch in batches)
            Observe(session, input, batch, values, (name, data) => Count(histograms[name], data, ranges[name]));
        var tail = (100 - options.Percentile) / 100;
        return values.ToDictionary(v => v, v => Clip(histograms[v], ranges[v], tail));
    }

    // The float graph with every value to observe added as an output.
    private static InferenceSession ObservingSession(ModelProto model, IReadOnlyList<string> values)
    {
        var observing = model.Clone();
        var outputs = observing.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var value in values.Where(v => !outputs.Contains(v)))
            observing.Graph.Output.Add(new ValueInfoProto
            {
                Name = value,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(observing.ToByteArray(), options);
    }

    private static void Observe(InferenceSession session, string input, CalibrationBatch batch, IReadOnlyList<string> values, Action<string, ReadOnlySpan<float>> observe)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(batch.Values, batch.Shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [input], [value], [.. values]);
        for (var i = 0; i < values.Count; i++)
            observe(values[i], results[i].GetTensorDataAsSpan<float>());
    }

    // Only finite values count: a Pad with -inf in front of a max pool (CNTK's asymmetric padding) would make the range infinite,
    // and the clamp to the range's minimum gives the same pooled maxima.
    private static (float Min, float Max) Widen((float Min, float Max) range, ReadOnlySpan<float> data)
    {
        var (min, max) = range;
        foreach (var v in data)
            if (float.IsFinite(v))
                (min, max) = (Math.Min(min, v), Math.Max(max, v));
        return (min, max);
    }

    private static void Count(long[] histogram, ReadOnlySpan<float> data, (float Min, float Max) range)
    {
        var width = (double)range.Max - range.Min;
        if (width <= 0)
            return;
        var last = histogram.Length - 1;
        foreach (var v in data)
            if (float.IsFinite(v))
                histogram[Math.Clamp((int)((v - range.Min) / width * histogram.Length), 0, last)]++;
    }

    // The edges of the bins where the lower and the upper tail, each a `tail` share of all values, begin.
    private static (float Min, float Max) Clip(long[] histogram, (float Min, float Max) range, double tail)
    {
        var total = histogram.Sum();
        if (total == 0 || range.Max <= range.Min)
            return range;
        var cut = (long)Math.Floor(total * tail);
        var binWidth = ((double)range.Max - range.Min) / histogram.Length;
        int low = 0, high = histogram.Length - 1;
        for (long seen = histogram[low]; seen <= cut && low < high; seen += histogram[++low])
        {
        }
        for (long seen = histogram[high]; seen <= cut && high > low; seen += histogram[--high])
        {
        }
        return ((float)(range.Min + low * binWidth), (float)(range.Min + (high + 1) * binWidth));
    }
}
