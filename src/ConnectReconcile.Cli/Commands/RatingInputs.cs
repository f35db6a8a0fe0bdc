using System.CommandLine;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Cli.Commands;

/// <summary>The rate card, policy and reference data options, added to a command and resolved together.</summary>
internal sealed class RatingInputs
{
    public Option<string?> RateCardOption { get; } = SharedOptions.RateCard();
    public Option<string?> AgentsOption { get; } = SharedOptions.Agents();
    public Option<string?> NumbersOption { get; } = SharedOptions.Numbers();
    public Option<string?> PolicyOption { get; } = SharedOptions.Policy();

    public void AddTo(Command command)
    {
        command.Options.Add(RateCardOption);
        command.Options.Add(AgentsOption);
        command.Options.Add(NumbersOption);
        command.Options.Add(PolicyOption);
    }

    /// <summary>These options as given (each where set), for a command line a message suggests: <c> --agents 'a.csv' …</c>.</summary>
    public string AsArguments(CliEnvironment env, ParseResult parse) =>
        string.Concat(new[] { RateCardOption, AgentsOption, NumbersOption, PolicyOption }
            .Select(o => env.Get(parse, o) is { } value ? $" {o.Name} '{value.Replace("'", "'\\''", StringComparison.Ordinal)}'" : ""));

    /// <param name="s3">How the command reaches S3, for s3:// reference files.</param>
    public (Rater Rater, NumberInventory Numbers) Resolve(CliEnvironment env, ParseResult parse, S3Access? s3 = null, string? defaultAgents = null, string? defaultNumbers = null)
    {
        var card = Inputs.RateCard(env.Get(parse, RateCardOption), s3);
        var agents = Inputs.Agents(env.Get(parse, AgentsOption) ?? defaultAgents, env.Warn, s3);
        var numbers = Inputs.Numbers(env.Get(parse, NumbersOption) ?? defaultNumbers, env.Warn, s3);
        var policy = Inputs.Policy(env.Get(parse, PolicyOption));
        return (new Rater(card, policy, agents, numbers), numbers);
    }
}
