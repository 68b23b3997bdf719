namespace MLNetCnn.Zoo;

/// <summary>Scales an architecture's channel counts, as timm's and torchvision's width multipliers do.</summary>
internal static class WidthMultiplier
{
    /// <summary>The checks every family's arguments share; null when the multiplier is usable.</summary>
    public static string? Problem(double multiplier) => multiplier is > 0 and <= 16 && double.IsFinite(multiplier)
        ? null
        : $"WidthMultiplier must be in (0, 16]; got {multiplier}";

    /// <summary><paramref name="channels"/> times <paramref name="multiplier"/>, rounded, at least one channel.</summary>
    public static int Scale(int channels, double multiplier) => Math.Max(1, (int)Math.Round(channels * multiplier, MidpointRounding.AwayFromZero));
}
