namespace MLNetCnn.Cli;

/// <summary>Input the user can fix (a missing folder, an output that exists, a model folder that is not ours); exit code 1.</summary>
public sealed class CliUserException(string message) : Exception(message);
