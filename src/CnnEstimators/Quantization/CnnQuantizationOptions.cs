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

    internal void Validate()
    {
        if (!Enum.IsDefined(Method))
            throw new ArgumentOutOfRangeException(nameof(Method), Method, "Choose CnnCalibrationMethod.MinMax or Percentile.");
        if (Method == CnnCalibrationMethod.Percentile && !(Percentile > 50 && Percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "The percentile of values kept must be above 50 and at most 100, such as 99.99.");
        if (MaxCalibrationRows < MinimumCalibrationRows)
            throw new ArgumentOutOfRangeException(nameof(MaxCalibrationRows), MaxCalibrationRows,
                $"Calibration needs at least {MinimumCalibrationRows} rows; a few hundred is typical.");
    }
}
