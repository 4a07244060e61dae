"""`nusource analyze`: histogram, expectation, fit and Z′ reach of event files.

The files carry the run card they were made from; the exact expectation is
computed from it by quadrature (the generator's dσ/dT parts with the card's
binding, resolution and threshold folded in), so nothing is regenerated.
For files of a 'fixed' or 'weighted' run the weighted histogram is itself an
expectation: it is compared with the quadrature bin by bin (a validation).
"""

import math
from pathlib import Path

import numpy as np

from nusource.io.schema import require_fields

from .components_fit import component_templates, fit_components
from .expectation import binding_options, binned_expectation
from .fit import fit_nll
from .likelihood import BinnedModel, BinnedNLL
from .zprime_sensitivity import limits_vs_syst, zprime_physics_model


def zprime_family(name: str):
    """'chi', 'psi', 'eta', 'lr', or 'beta=DEG' (an E6 angle in degrees) → the model argument."""
    if name.startswith("beta="):
        try:
            return math.radians(float(name[5:]))
        except ValueError:
            raise ValueError(f"zprime_model: '{name}' is not beta=DEGREES") from None
    return name


def expectation_for(
    exp,
    response,
    edges_mev,
    *,
    field: str,
    exposure: float,
    zprime_model="chi",
    fiducial_acceptance: float = 1.0,
    selected_only: bool = True,
):
    """Quadrature expectation (SM, μ², γ, γ² parts) of a run in bins of ``field``.

    Every setting of the response is folded in: binding, Gaussian resolution,
    threshold, window, efficiency and (as ``fiducial_acceptance``, the share of
    the signal's vertices that pass the fiducial cut, from the geometry) the
    fiducial volume.  A histogram of the true recoil ``te`` of selected events
    cannot carry cuts on the reconstructed energy: it is refused when the run
    has any.
    """
    model = zprime_physics_model(exp.model, zprime_family(zprime_model))
    if response is None:
        return binned_expectation(exp.spectrum, model, edges_mev, exposure=exposure)
    if field == "te":
        if selected_only and _has_cuts(response):
            raise ValueError(
                "analyze: histogram.field = 'te' with selected_only = true: the run's response "
                "selects on the reconstructed energy (binding, threshold, window, efficiency "
                "or fiducial), which the true-recoil expectation cannot fold; use field = "
                "'erec', or selected_only = false"
            )
        return binned_expectation(exp.spectrum, model, edges_mev, exposure=exposure)
    from nusource.detsim.resolution import GaussianResolution

    res = response.resolution
    if res is not None and not isinstance(res, GaussianResolution):
        raise ValueError(
            "analyze: the quadrature expectation needs a Gaussian (or no) resolution; this run "
            "uses NEST — analyse 'te', or use templates from a weighted run"
        )
    kw = binding_options(response)
    return binned_expectation(
        exp.spectrum,
        model,
        edges_mev,
        exposure=exposure * fiducial_acceptance,
        sigma=None if res is None else res.sigma_mev,
        threshold_mev=response.threshold_mev,
        window_mev=response.window_mev,
        efficiency=response.efficiency,
        **kw,
    )


def _templates(data, meta, templates, h, edges) -> dict:
    """name → template [events] of every non-signal component of the files (see analyze)."""
    comps = [
        k for k, v in (meta.get("components") or {}).items() if k != "0" and isinstance(v, dict)
    ]
    if not comps:
        return {}
    if meta.get("mode") in ("fixed", "weighted"):
        src, run, scale = data.events, meta, 1.0
    elif templates is not None:
        run = templates.run
        if run.get("mode") not in ("fixed", "weighted"):
            raise ValueError("analyze: --templates must be files of a 'fixed' or 'weighted' run")
        ours = (meta.get("provenance") or {}).get("run_card_sha256")
        theirs = (run.get("provenance") or {}).get("run_card_sha256")
        if ours != theirs:
            raise ValueError("analyze: --templates come from another run card than the files")
        src, scale = templates.events, float(meta["live_days"]) / float(run["live_days"])
    else:
        names = ", ".join(meta["components"][k].get("name", k) for k in comps)
        raise ValueError(
            f"analyze: the files are one experiment with background components ({names}); give "
            "--templates FILES of a 'fixed' run of the same card (simulate -n N) for their shapes"
        )
    return component_templates(src, run, h.field, edges, scale=scale, selected_only=h.selected_only)


TEMPLATE_EVENTS_PER_EXPECTED = 10.0
"""Template events wanted per expected event of the analysed files: the templates'
fluctuations (not in the fit) then add ≤ 10 % to the data's Poisson variance."""


def template_statistics(found: dict, run: dict) -> dict:
    """Per template: its expected events in the range, the simulated events they rest on
    (the effective number (Σw)²/Σw²) and the template run's -n that would give
    :data:`TEMPLATE_EVENTS_PER_EXPECTED` per expected event.

    ``found`` is name → (histogram, variance) of :func:`component_templates`, ``run``
    the template run's metadata (each component's ``n_generated``).
    """
    generated = {
        c.get("name", k): int(c.get("n_generated", 0))
        for k, c in (run.get("components") or {}).items()
        if isinstance(c, dict)
    }
    out = {}
    for name, (hist, var) in found.items():
        expected, v = float(np.sum(hist)), float(np.sum(var))
        if not (expected > 0 and v > 0):
            continue
        effective = expected * expected / v
        want = TEMPLATE_EVENTS_PER_EXPECTED * expected
        n = generated.get(name, 0)
        out[name] = {
            "expected_events": expected,
            "template_events": effective,
            "enough": effective >= want,
            "n_for_enough": int(math.ceil(n * want / effective)) if n else None,
        }
    return out


def _has_cuts(response) -> bool:
    return bool(
        response.binding
        or response.threshold_mev > 0
        or response.window_mev is not None
        or response.efficiency < 1
        or response.fiducial is not None
    )


def events_vs_expectation(x, w, edges, expected) -> tuple[float, int]:
    """Pearson's χ² of weighted events' histogram against an expectation, and its bins.

    Each bin's variance is r·μ, μ its expectation and r = Σw²/Σw of the events in the
    histogram's range: exact for events of one weight (a fixed run's).  The events' own
    Σw² per bin (Neyman's χ²) would bias χ² up by ~3/N per bin of N events: 10 % at the
    0.1 keV bins of the LXe threshold study.
    """
    sums = np.histogram(x, edges, weights=w)[0]
    r = float(np.sum(np.histogram(x, edges, weights=np.square(w))[0]))
    r /= max(float(sums.sum()), 1e-300)
    ok = expected > 0
    chi2 = float(np.sum((sums - expected)[ok] ** 2 / (r * expected[ok])))
    return chi2, int(ok.sum())


def analyze(
    data, card, exp, response, *, plots_dir=None, fiducial_acceptance=(1.0, 0.0), templates=None
) -> dict:
    """Analyse an EventSet with an AnalysisCard; ``exp`` and ``response`` from the files' card.

    ``fiducial_acceptance`` is (share, its error) of the signal passing the
    fiducial cut (:func:`nusource.experiment.fiducial_acceptance`).  The
    signal's expectation is exact; every other component of the files enters
    as a template (:mod:`.components_fit`): from the files themselves when they
    are an expectation ('fixed' or 'weighted' run), else from ``templates`` (an
    EventSet of such a run of the same card, scaled by the live-time ratio).
    """
    h = card.histogram
    edges = np.arange(h.start_kev, h.stop_kev + 0.5 * h.step_kev, h.step_kev) * 1e-3
    ev = data.events
    require_fields(ev.dtype.names, (h.field, "weight"), "analyze")
    if h.selected_only and "flags" in ev.dtype.names:
        ev = ev[ev["flags"] == 0]
    if h.field not in ev.dtype.names:
        raise ValueError(f"analyze: the files have no field '{h.field}' (simulate with a response)")
    in_range = np.count_nonzero((ev[h.field] >= edges[0]) & (ev[h.field] <= edges[-1]))
    if in_range == 0:
        which = "selected event" if h.selected_only and "flags" in ev.dtype.names else "event"
        raise ValueError(
            f"analyze: no {which} of the files has {h.field} in the histogram's range "
            f"[{h.start_kev:g}, {h.stop_kev:g}] keV (histogram.start_kev, stop_kev); "
            "nothing to fit"
        )
    observed = np.histogram(ev[h.field], edges, weights=ev["weight"])[0]
    meta = data.run  # the files combined: exposures add (nusource.io.runs)
    exposure = float(meta["exposure_per_cm2"])
    zmodel = card.sensitivity.zprime_model if card.sensitivity else "chi"
    ex = expectation_for(
        exp,
        response,
        edges,
        field=h.field,
        exposure=exposure,
        zprime_model=zmodel,
        fiducial_acceptance=fiducial_acceptance[0],
        selected_only=h.selected_only,
    )
    expected = ex.counts(mu=exp.model.mu, gamma=0.0)
    found = _templates(data, meta, templates, h, edges)
    tpl = {k: v[0] for k, v in found.items()}
    background = sum(tpl.values()) if tpl else None
    signal_expected = expected
    if tpl:
        expected = expected + background
    out = {
        "title": card.title,
        "files": [str(f) for f in data.files],
        "mode": meta.get("mode"),
        "field": h.field,
        "edges_kev": [float(x) * 1e3 for x in edges],
        "observed": [float(x) for x in observed],
        "expected": [float(x) for x in expected],
        "observed_total": float(observed.sum()),
        "expected_total": float(expected.sum()),
        "exposure_per_cm2": exposure,
        "fiducial_acceptance": list(fiducial_acceptance),
        "expected_by_component": {
            "signal": float(signal_expected.sum()),
            **{k: float(v.sum()) for k, v in tpl.items()},
        },
    }
    if found and templates is not None and meta.get("mode") == "exposure":
        out["template_statistics"] = template_statistics(found, templates.run)
    if meta.get("mode") in ("fixed", "weighted"):
        # the signal's events against its quadrature (the backgrounds have none: counted in
        # both sides, they would only add their weights' variance to the errors)
        mine = ev["component"] == 0 if "component" in ev.dtype.names else slice(None)
        chi2, ndf = events_vs_expectation(
            ev[h.field][mine], ev["weight"][mine], edges, signal_expected
        )
        out["template_vs_quadrature_chi2"], out["template_vs_quadrature_ndf"] = chi2, ndf
    bm = BinnedModel.from_parts(ex, background=background)
    if tpl and card.fit.parameter != "none":
        data_counts = observed if meta.get("mode") == "exposure" else expected
        poi = "mu2" if card.fit.parameter == "mu" else "gamma"
        card.fit.check_backgrounds(list(tpl), "the files")
        r = fit_components(
            data_counts,
            ex.parts,
            tpl,
            poi=poi,
            sig_norm_sigma=card.fit.signal_norm_sigma,
            bkg_norm_sigmas={k: card.fit.background_sigma(k) for k in tpl},
        )
        r["parameter"] = poi
        r["data"] = "observed" if meta.get("mode") == "exposure" else "Asimov"
        out["fit"] = r
    elif card.fit.parameter != "none":
        data_counts = observed if meta.get("mode") == "exposure" else expected
        nll = BinnedNLL(
            bm,
            data_counts,
            form=card.fit.form,
            sig_norm_sigma=card.fit.signal_norm_sigma,
            syst=card.fit.systematic_per_bin,
        )
        poi = "mu2" if card.fit.parameter == "mu" else "gamma"
        r = fit_nll(nll, pois=(poi,))
        out["fit"] = {
            "parameter": poi,
            "values": r.values,
            "errors": r.errors,
            "valid": r.valid,
            "fval": r.fval,
            "data": "observed"
            if meta.get("mode") == "exposure"
            else "Asimov (the files are an expectation)",
            "mu2_unit_bohr2": 1e-20,
        }
    if card.sensitivity is not None:
        s = card.sensitivity
        lims = limits_vs_syst(
            bm,
            [x / 100 for x in s.systematic_percent],
            form=s.form,
            delta_chi2_level=s.delta_chi2,
            sig_norm_sigma=s.signal_norm_sigma,
        )
        out["zprime_sensitivity"] = {
            "model": s.zprime_model,
            "delta_chi2": s.delta_chi2,
            "mass_gev": {
                f"{x:g}": lim.mass_gev for x, lim in zip(s.systematic_percent, lims, strict=True)
            },
        }
    if plots_dir is not None:
        curves = zprime_curves(ex, background, mu=exp.model.mu)
        out["plots"] = _plots(Path(plots_dir), edges, curves, observed, background, zmodel, out)
    return out


ZPRIME_SHOWN_GEV = 330.0
"""The Z′ mass whose spectrum the analysis plot draws beside the expectation [GeV]."""


def zprime_curves(ex, background, mu: float = 0.0, mass_gev: float = ZPRIME_SHOWN_GEV):
    """(expected, with the Z′) per bin: the signal's exact expectation for μν = ``mu`` [μ_B]
    without and with a Z′ of ``mass_gev``, the same backgrounds (templates) under both."""
    from nusource.generator.zprime import gamma_of_mass

    base = ex.counts(mu=mu, gamma=0.0)
    z = ex.counts(mu=mu, gamma=gamma_of_mass(mass_gev))
    if background is not None:
        base, z = base + background, z + background
    return base, z


def _plots(d: Path, edges, curves, observed, background, zmodel, out) -> list[str]:
    from .plots import save, sensitivity_figure, spectrum_figure

    d.mkdir(parents=True, exist_ok=True)
    files = []
    base, z = curves
    label = "expected: signal (SM)" + (" + backgrounds" if background is not None else "")
    fig = spectrum_figure(
        edges,
        base,
        z,
        sm_label=label,
        zprime_label=f"with a Z′ ({zmodel} model) of {ZPRIME_SHOWN_GEV:g} GeV",
        data=observed,
        title=out["title"],
    )
    files += [str(p) for p in save(fig, d / "spectrum")]
    if "zprime_sensitivity" in out:
        m = out["zprime_sensitivity"]["mass_gev"]
        fig = sensitivity_figure(
            [float(k) for k in m], {"this run": list(m.values())}, title=out["title"]
        )
        files += [str(p) for p in save(fig, d / "zprime_sensitivity")]
    return files
