using System.CommandLine;
using MLNetCnn.Cli.Compare;
using MLNetCnn.Cli.Evaluate;
using MLNetCnn.Cli.Export;
using MLNetCnn.Cli.Featurize;
using MLNetCnn.Cli.Predict;
using MLNetCnn.Cli.Search;
using MLNetCnn.Cli.Summary;
using MLNetCnn.Cli.Train;
using MLNetCnn.Zoo;

namespace MLNetCnn.Cli;

/// <summary>The <c>mlnetcnn</c> command line: its commands, and how an outcome becomes an exit code.</summary>
public static class CliApp
{
    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code; never throws.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where output, errors and progress go.</param>
    /// <param name="cancellation">Stops the command at the next batch (Ctrl+C).</param>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellation = default)
    {
        var root = new RootCommand("mlnetcnn: train, evaluate and use CNNs (AlexNet, VGG, GoogLeNet, ResNet) on folders of images with ML.NET.")
        {
            TrainCommand.Create(console),
            EvaluateCommand.Create(console),
            PredictCommand.Create(console),
            ExportCommand.Create(console),
            SummaryCommand.Create(console),
            CompareCommand.Create(console),
            SearchCommand.Create(console),
            FeaturizeCommand.Create(console),
        };
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,  // Program handles Ctrl+C: training stops within a batch, however long that takes
        };
        try
        {
            return await root.Parse(args).InvokeAsync(configuration, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            console.Error.WriteLine("mlnetcnn: interrupted; nothing half-written was left behind.");
            return ExitCode.Interrupted;
        }
        catch (Exception e) when (IsUserError(e))
        {
            console.Error.WriteLine($"mlnetcnn: error: {OneLine(e.Message)}");
            return ExitCode.UserError;
        }
        catch (Exception e)
        {
            console.Error.WriteLine($"mlnetcnn: crashed (please report this): {e}");
            return ExitCode.Crash;
        }
    }

    /// <summary>What the libraries throw for input the user can fix: a bad option, file, folder or data.</summary>
    private static bool IsUserError(Exception e) => e is CliUserException or ArgumentException or InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or UnauthorizedAccessException or WeightsMismatchException or NotSupportedException;

    private static string OneLine(string message)
        => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
