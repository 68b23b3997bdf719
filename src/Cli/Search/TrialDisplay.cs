using System.Globalization;
using Spectre.Console;

namespace MLNetCnn.Cli.Search;

/// <summary>Shows a search as it goes: one line each time a trial finishes a rung, stops, fails or is rejected.</summary>
internal sealed class TrialDisplay(CliConsole console) : IProgress<CnnSearchTrial>
{
    public void Report(CnnSearchTrial t)
    {
        var c = CultureInfo.InvariantCulture;
        var line = string.Create(c, $"  #{t.Number,-3} {t.Candidate} at {t.ImageSize} px: {t.Status}, {t.Epochs:0.#} epoch(s)") +
                   (t.ValidationAccuracy is double a ? string.Create(c, $", accuracy {a:P2}") : "") +
                   (t.LatencyMs is double l ? string.Create(c, $", {l:F2} ms") : "") +
                   (t.Reason is string reason && t.Status != CnnSearchTrialStatus.StoppedEarly ? $" ({reason})" : "");
        if (console.Interactive)
            console.Ansi.MarkupLine(t.Status switch
            {
                CnnSearchTrialStatus.Completed => $"[green]{Markup.Escape(line)}[/]",
                CnnSearchTrialStatus.Failed or CnnSearchTrialStatus.Rejected => $"[grey]{Markup.Escape(line)}[/]",
                _ => Markup.Escape(line),
            });
        else
            console.Out.WriteLine(line);
    }
}
