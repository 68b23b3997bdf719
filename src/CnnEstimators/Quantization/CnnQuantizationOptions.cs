namespace MLNetCnn;

/// <summary>How the range of each activation is chosen from the calibration rows.</summary>
public enum CnnCalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing clips, but one outlier widens every step of the 8-bit grid.</summary>
    MinMax,

    /// <summary>
    /// The values between the (100 - <see cref="CnnQuantizationOptions.Percentile"/>)th and the <see cref="CnnQuantizationOptions.Percentile"/>th
    /// percentile of all values seen (a 4096-bin histogram over the min-max range): rare outliers clip, the common values get finer steps.
    /// </summary>
    Percentile,
}

/// <summary>Post-training static quantization to int8: how the calibration rows set the activations' ranges.</summary>
public sealed record CnnQuantizationOptions
{
    /// <summary>The fewest calibration rows accepted: fewer give ranges that describe those rows, not the data.</summary>
    public const int MinimumCalibrationRows = 16;

    /// <summary>How each activation's range is chosen. Default <see cref="CnnCalibrationMethod.MinMax"/>.</summary>
    public CnnCalibrationMethod Method { get; init; } = CnnCalibrationMethod.MinMax;

    /// <summary>For <see cref="CnnCalibrationMethod.Percentile"/>: the share of values kept inside the range, in percent (default 99.999, above 50).</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>At most this many rows of the calibration data are read, evenly spaced over it (default 256).</summary>
    public int MaxCalibrationRows { get; init; } = 256;

    /// <summary>
    /// The weights' precision: 7 bits (the default, -63..63, ONNX Runtime's <c>reduce_range</c>) or 8 bits (-127..127). On CPUs without
    /// int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX) ONNX Runtime's uint8 x int8 kernels saturate with 8-bit weights, so 7
    /// bits give a graph that scores alike wherever it is deployed; 8 bits halve the weights' rounding for graphs that will only run on
    /// CPUs with those instructions (measured in the README).
    /// </summary>
    public int WeightBits { get; init; } = 7;

    /// <summary>Every invalid option, in one list; empty when calibration can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Method))
            problems.Add($"Method must be CnnCalibrationMethod.MinMax or Percentile; got {Method}.");
        if (Method == CnnCalibrationMethod.Percentile && !(Percentile > 50 && Percentile <= 100))
            problems.Add($"Percentile (the share of values kept) must be above 50 and at most 100, such as 99.99; got {Percentile}.");
        if (MaxCalibrationRows < MinimumCalibrationRows)
            problems.Add($"MaxCalibrationRows must be at least {MinimumCalibrationRows} (calibration needs them; a few hundred is typical); got {MaxCalibrationRows}.");
        if (WeightBits is not (7 or 8))
            problems.Add($"WeightBits must be 7 (portable: every CPU scores the graph alike) or 8 (CPUs with VNNI or AMX only); got {WeightBits}.");
        return problems;
    }

    /// <exception cref="ArgumentException">Lists each invalid option.</exception>
    internal void Validate() => OptionProblems.ThrowIfAny("quantization options", Problems());
}
