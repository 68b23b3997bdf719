namespace MLNetCnn;

/// <summary>
/// The one way options and settings report what is wrong with them: each collects every problem (<c>Problems()</c>), and
/// validation throws one exception that lists them all, so a caller fixes everything in one go.
/// </summary>
internal static class OptionProblems
{
    /// <summary>Throws when there are problems; <paramref name="what"/> names the options, e.g. "CNN trainer options".</summary>
    /// <exception cref="ArgumentException">One line per problem.</exception>
    public static void ThrowIfAny(string what, IReadOnlyCollection<string> problems)
    {
        if (problems.Count > 0)
            throw new ArgumentException($"Invalid {what}:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => " - " + p)));
    }
}
