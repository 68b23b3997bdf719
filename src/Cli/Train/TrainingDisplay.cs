using System.Globalization;
using Spectre.Console;

namespace MLNetCnn.Cli.Train;

/// <summary>
/// Shows training as it goes: on a terminal a live Spectre progress bar (epoch, batch, loss, accuracy, images/s, time
/// left); otherwise plain lines, about ten per epoch and one at each epoch's end, for logs and pipes.
/// </summary>
internal sealed class TrainingDisplay(CliConsole console) : IProgress<CnnTrainingProgress>
{
    private ProgressTask? bar;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Runs <paramref name="training"/> with the live display around it when there is a terminal.</summary>
    public T Run<T>(Func<T> training)
    {
        if (!console.Interactive)
            return training();
        return console.Ansi.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                bar = context.AddTask("reading images", maxValue: 1);
                return training();
            });
    }

    public void Report(CnnTrainingProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        var done = (p.Epoch - 1) * (double)p.Batches + p.Batch;
        var total = (double)p.Epochs * p.Batches;
        if (bar is not null)
        {
            bar.MaxValue = total;
            bar.Value = done;
            bar.Description = Markup.Escape(string.Create(c,
                $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}  loss {p.Loss:F4}  accuracy {p.Accuracy:P1}  {p.ImagesPerSecond:F0} img/s"));
            if (p.IsEpochEnd)
                console.Ansi.MarkupLine(Markup.Escape(p.Message));
            return;
        }
        if (p.IsEpochEnd)
        {
            console.Out.WriteLine(p.Message);
            return;
        }
        if (p.Batch % Math.Max(1, p.Batches / 10) != 0)
            return;
        var left = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (total - done));
        console.Out.WriteLine(string.Create(c,
            $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}: loss {p.Loss:F4}, accuracy {p.Accuracy:P2}, {p.ImagesPerSecond:F0} images/s, about {left:hh\\:mm\\:ss} left"));
    }
}
