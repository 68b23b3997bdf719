using System.Runtime.InteropServices;
using MLNetCnn.Cli;

// Ctrl+C (and SIGTERM) ask the running command to stop at the next batch; a second Ctrl+C ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});
return await CliApp.RunAsync(args, CliConsole.ForProcess(), interrupt.Token);
