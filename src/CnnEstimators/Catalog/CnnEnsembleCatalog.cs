using Microsoft.ML;
using MLNetCnn.Internal;

namespace MLNetCnn;

/// <summary>CNN ensembles in ML.NET's catalogs: combining trained classifiers, and training the members as one estimator.</summary>
public static class CnnEnsembleCatalog
{
    /// <summary>Combines trained CNN classifiers into one Score and PredictedLabel.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="members">Trained classifiers sharing label values and input size (architectures may differ).</param>
    /// <param name="combination">Mean (default), geometric mean or majority vote.</param>
    public static CnnEnsembleEstimator CnnEnsemble(this TransformsCatalog catalog, IReadOnlyList<CnnClassifierTransformer> members,
        CnnEnsembleCombination combination = CnnEnsembleCombination.Mean)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnEnsembleEstimator(MLNetInternals.EnvironmentOf(catalog), members, combination);
    }

    /// <summary>
    /// An estimator that trains <paramref name="count"/> CNN members with the same options and seeds <c>seed, seed + 1, ...</c>
    /// (the options' seed, or 1), then combines them; <c>Fit</c> returns the ensemble, whose <c>Members</c> can be evaluated alone.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">Builds the members' options (called once per member; <see cref="CnnRuntimeOptions.Seed"/> is replaced).</param>
    /// <param name="count">Members to train.</param>
    /// <param name="combination">Mean (default), geometric mean or majority vote.</param>
    public static CnnEnsembleTrainer CnnEnsemble(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        Func<CnnTrainerOptions> options, int count, CnnEnsembleCombination combination = CnnEnsembleCombination.Mean)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnEnsembleTrainer(MLNetInternals.EnvironmentOf(catalog), options, count, combination);
    }
}
