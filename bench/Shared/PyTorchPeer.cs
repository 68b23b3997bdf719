using System.Diagnostics;

namespace MLNetCnn.Bench;

/// <summary>Runs one of the PyTorch peer scripts copied next to the benchmark (bench/pytorch) and returns what it printed.</summary>
internal static class PyTorchPeer
{
    /// <exception cref="InvalidOperationException">The script failed; its error output went to this process's stderr.</exception>
    public static string Run(string python, string scriptName, params string[] arguments)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch", scriptName);
        using var process = Process.Start(new ProcessStartInfo(python, [script, .. arguments]) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}.");
    }
}
