using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>Turns the <c>Device</c> option into a TorchSharp device: CUDA when asked for or available, else the CPU.</summary>
internal static partial class DeviceSelection
{
    [GeneratedRegex(@"^(auto|cpu|cuda(:\d+)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();

    public static bool IsValid(string? device) => device is not null && DevicePattern().IsMatch(device);

    public static Device Resolve(string device)
    {
        if (device == "auto")
            return cuda.is_available() ? CUDA : CPU;
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new InvalidOperationException(
                $"Device '{device}' was asked for, but CUDA is not available: build with -p:TorchSharpBackend=cuda-linux on a machine with an NVIDIA GPU, or use Device = \"auto\" or \"cpu\".");
        return new Device(device);
    }
}
