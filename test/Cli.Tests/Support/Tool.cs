using System.Diagnostics;

namespace MLNetCnn.Cli.Tests.Support;

/// <summary>What a command printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>mlnetcnn</c> in this process (through <see cref="CliApp"/>) or as a process of its own.</summary>
public static class Tool
{
    // The tool's own output folder: src/Cli/bin/<configuration>/<framework>/, beside the tests' test/Cli.Tests/bin/...
    private static readonly string Dll = Path.Combine(
        AppContext.BaseDirectory.Replace(Path.Combine("test", "Cli.Tests"), Path.Combine("src", "Cli")), "mlnetcnn.dll");

    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.RunAsync(args, CliConsole.ForWriters(output, error)).GetAwaiter().GetResult();
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>
    /// Starts the tool as a process with redirected output (so it prints plain lines) and Ctrl+C's signal handled as a
    /// terminal user's tool has it.
    /// </summary>
    public static Process Start(params string[] args)
    {
        if (!File.Exists(Dll))
            throw new FileNotFoundException($"The tool is not built at '{Dll}'; build the solution.", Dll);
        // A shell without job control starts its background commands with SIGINT ignored, and every process below inherits
        // that (Process.Start keeps ignored signals ignored): a test run started that way would see the tool rightly ignore
        // Ctrl+C. env resets SIGINT to its default before it starts the tool.
        return Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "dotnet", Dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        })!;
    }

    /// <summary>Runs the tool as a process to its end, with <paramref name="input"/> on its standard input.</summary>
    public static CliResult RunProcess(string? input, params string[] args)
    {
        using var process = Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
            process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mlnetcnn {string.Join(' ', args)} ran over 5 minutes.");
        }
        return new CliResult(process.ExitCode, output.Result, error.Result);
    }
}
