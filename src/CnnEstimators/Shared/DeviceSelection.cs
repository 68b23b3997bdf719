using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>Turns the <c>Device</c> option into a TorchSharp device: CUDA when asked for or available, else the CPU.</summary>
internal static partial class DeviceSelection
{
    [GeneratedRegex(@"^(auto|cpu|cuda(:\d+)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();

    public static bool IsValid(string? device) => device is not null && DevicePattern().IsMatch(device);

    /// <exception cref="ArgumentException">The string is not one of the accepted forms.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for and is not available.</exception>
    public static Device Resolve(string device)
    {
        if (!IsValid(device))
            throw new ArgumentException(Messages.InvalidDevice(device), nameof(device));
        if (device == "auto")
            return cuda.is_available() ? CUDA : CPU;
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw Messages.CudaUnavailable(device);
        return new Device(device);
    }
}
