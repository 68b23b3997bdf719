using System.CommandLine;

namespace MLNetCnn.Cli;

/// <summary>Options several commands share, and checks that name the option they refuse.</summary>
internal static class CliOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "The folder 'mlnetcnn train --out' wrote (holds classifier.mlnetcnn and model.zip).",
        Required = true,
    };

    public static Option<bool> Force() => new("--force") { Description = "Replace the output if it exists." };

    public static Option<string> Device() => new("--device")
    {
        Description = "Where the network runs: auto (CUDA when there is one), cpu, cuda, cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<bool> SkipUnreadable() => new("--skip-unreadable")
    {
        Description = "Skip images that cannot be read, and say how many; without it the first such image stops the command, naming its file.",
    };

    /// <summary>Refuses values below 1, naming the option.</summary>
    public static void RequirePositive(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < 1)
            result.AddError($"{option.Name} must be at least 1 (got {result.GetValueOrDefault<int>()}).");
    });

    /// <summary>Refuses values below 1, naming the option (when given).</summary>
    public static void RequirePositive(Option<int?> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int?>() is < 1)
            result.AddError($"{option.Name} must be at least 1 (got {result.GetValueOrDefault<int?>()}).");
    });

    /// <summary>Refuses values outside (min, max), naming the option.</summary>
    public static void RequireBetween(Option<double> option, double min, double max)
        => option.Validators.Add(result => CheckBetween(result, option.Name, result.GetValueOrDefault<double>(), min, max));

    /// <summary>Refuses values outside (min, max), naming the option (when given).</summary>
    public static void RequireBetween(Option<double?> option, double min, double max) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<double?>() is double value)
            CheckBetween(result, option.Name, value, min, max);
    });

    private static void CheckBetween(System.CommandLine.Parsing.OptionResult result, string name, double value, double min, double max)
    {
        if (!(value > min && value < max))
            result.AddError($"{name} must be between {min} and {max}, exclusive (got {value}).");
    }
}
