using System.CommandLine;
using MLNetCnn.Zoo;

namespace MLNetCnn.Cli;

/// <summary>The <c>--arch</c> option: one architecture, or a comma-separated list, each checked against the zoo.</summary>
internal static class ArchitectureOption
{
    public static Option<string> Create(string defaultValue, string description)
    {
        var option = new Option<string>("--arch", "-a")
        {
            Description = $"{description} Known: {string.Join(", ", CnnZoo.Names)}.",
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            var unknown = Split(result.GetValueOrDefault<string>()).Where(name => !CnnZoo.IsRegistered(name)).ToList();
            if (unknown.Count > 0)
                result.AddError($"--arch: unknown architecture(s) {string.Join(", ", unknown.Select(n => $"'{n}'"))}; known: {string.Join(", ", CnnZoo.Names)}.");
        });
        return option;
    }

    public static string[] Split(string? value) => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
