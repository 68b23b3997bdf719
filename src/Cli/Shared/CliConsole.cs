using Spectre.Console;

namespace MLNetCnn.Cli;

/// <summary>Where a command writes: plain output (results, CSV, JSON), errors, and a Spectre console for tables and live progress.</summary>
public sealed class CliConsole
{
    private CliConsole(TextWriter output, TextWriter error, IAnsiConsole ansi, bool interactive)
    {
        Out = output;
        Error = error;
        Ansi = ansi;
        Interactive = interactive;
    }

    /// <summary>Results: what a script reads (tables, CSV, JSON lines).</summary>
    public TextWriter Out { get; }

    /// <summary>Errors, warnings and, when output is redirected, progress lines.</summary>
    public TextWriter Error { get; }

    /// <summary>Tables and live displays, on <see cref="Out"/>.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>True on a terminal: progress is a live display; else it is plain lines.</summary>
    public bool Interactive { get; }

    /// <summary>The process's console; live progress only when standard output is a terminal.</summary>
    public static CliConsole ForProcess()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!interactive)
            ansi.Profile.Width = 160;  // tables in files and pipes are not cut to a default 80 columns
        return new CliConsole(Console.Out, Console.Error, ansi, interactive);
    }

    /// <summary>A console over writers (tests, embedding): no colours, no live display.</summary>
    public static CliConsole ForWriters(TextWriter output, TextWriter error)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        ansi.Profile.Width = 160;
        return new CliConsole(output, error, ansi, interactive: false);
    }
}
