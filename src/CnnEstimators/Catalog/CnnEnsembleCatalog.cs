using Microsoft.ML;

namespace MLNetCnn;

/// <summary>CNN ensembles in ML.NET's transforms catalog, and the helper that trains their members.</summary>
public static class CnnEnsembleCatalog
{
    /// <summary>Combines trained CNN classifiers into one Score and PredictedLabel.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="members">Trained classifiers sharing label values and input size (architectures may differ).</param>
    /// <param name="combination">Mean (default), geometric mean or majority vote.</param>
    public static CnnEnsembleEstimator CnnEnsemble(this TransformsCatalog catalog, IReadOnlyList<CnnClassifierTransformer> members,
        CnnEnsembleCombination combination = CnnEnsembleCombination.Mean)
        => new(members, combination);

    /// <summary>
    /// Trains <paramref name="count"/> members with the same options and seeds <c>seed, seed + 1, ...</c> (the options' seed, or 1).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="trainData">Training data, with the key label.</param>
    /// <param name="options">The members' options; <see cref="CnnTrainerOptions.Seed"/> is replaced per member.</param>
    /// <param name="count">Members to train.</param>
    public static IReadOnlyList<CnnClassifierTransformer> TrainEnsembleMembers(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IDataView trainData, Func<CnnTrainerOptions> options, int count)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "An ensemble needs at least one member.");
        var members = new List<CnnClassifierTransformer>(count);
        for (var i = 0; i < count; i++)
        {
            var memberOptions = options();
            if (memberOptions.Model is not null)
                throw new ArgumentException("Ensemble members are built from Architecture; leave Model unset (one model object cannot train several members).", nameof(options));
            memberOptions.Seed = (memberOptions.Seed ?? 1) + i;
            members.Add(catalog.Cnn(memberOptions).Fit(trainData));
        }
        return members;
    }
}
