using System.Diagnostics;

namespace MLNetCnn.Tests.Support;

/// <summary>
/// Runs the test child (test/ChildProcess) in a process of its own, so that what a test provokes there (a SIGKILL, a native
/// crash on a corrupt file) ends the child and is seen by the test, instead of ending the test run.
/// </summary>
public static class ChildProcess
{
    // The child's own output folder, beside the tests' (test/ChildProcess/bin/<configuration>/<framework>/).
    private static readonly string Dll = Path.Combine(
        AppContext.BaseDirectory.Replace(Path.Combine("test", "CnnEstimators.Tests"), Path.Combine("test", "ChildProcess")), "MLNetCnn.TestChild.dll");

    /// <summary>The exit code and what the child printed.</summary>
    public sealed record Result(int ExitCode, string Output);

    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        if (!File.Exists(Dll))
            throw new FileNotFoundException($"The test child is not built at '{Dll}'; build the solution (dotnet build MLNetCnn.sln).", Dll);
        return new ProcessStartInfo("dotnet", [Dll, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    }

    /// <summary>Runs the child to its end (killing it after <paramref name="timeout"/>).</summary>
    public static Result Run(TimeSpan timeout, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Result(-1, $"timed out after {timeout}: {output.Result}{error.Result}");
        }
        return new Result(process.ExitCode, output.Result + error.Result);
    }
}
