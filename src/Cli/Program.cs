using System.Runtime.InteropServices;
using MLNetCnn.Cli;

// Ctrl+C and SIGTERM ask the running command to stop at the next batch; a second one ends the process at once (a command
// stuck in a read that no batch ends, or a user who will not wait, is not held hostage).
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
});
return await CliApp.RunAsync(args, CliConsole.ForProcess(), interrupt.Token);
