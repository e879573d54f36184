# xkd: crossmodal KD with WordNet-relaxed CLIP text. Per dataset: a CLIP (the compact one pretrained here, or
# open_clip weights from a file), the embeddings of every image and class name, a WordNet vocabulary, one
# crossmodal teacher T_x per text arm and seed, students distilled from the lfkd pool's image teachers T_m
# with and without a T_x (distill_student), and the tables and figures over all of them.


include: "inputs/xkd.smk"


rule xkd_clip_pretrain:
    """Pretrain the compact CLIP on a dataset's train images and WordNet captions (ClipLoss, through the classifier
    trainer), keep the best zero-shot val top-1, and measure image-text retrieval on held-out test pairs; resumable."""
    input:
        unpack(dataset_files),
        wordnet="results/wordnet/provenance.json",
    output:
        best=f"{XKD_CLIP}/best.pt",
        last=f"{XKD_CLIP}/last.pt",
        metrics=f"{XKD_CLIP}/metrics.csv",
        timing=f"{XKD_CLIP}/timing.csv",
        captions=f"{XKD_CLIP}/captions.csv",
        retrieval=f"{XKD_CLIP}/retrieval.json",
    log:
        "results/logs/xkd/{dataset}/clip_pretrain.log",
    benchmark:
        "results/benchmarks/xkd/{dataset}/clip_pretrain.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1  # beside another one-thread job on a 2-core machine (the SLURM profile sets 2)
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        clip=config["clip"],
        device=config["device"],
        precision=config["precision"],
        nltk_data="results/wordnet/nltk_data",
        state_dir=lambda w: f"{XKD_CLIP}/.resume".format(dataset=w.dataset),
    script:
        "../scripts/xkd/clip_pretrain.py"


rule xkd_embed:
    """L2-normalised CLIP embeddings of every image of a dataset (train, val, test; by sample id) and of its class
    names (the mean over the 7 prompt templates); downstream rules never run the image tower again."""
    input:
        unpack(xkd_clip_inputs),
    output:
        f"{XKD_CLIP}/embeddings.npz",
    log:
        "results/logs/xkd/{dataset}/embed.log",
    benchmark:
        "results/benchmarks/xkd/{dataset}/embed.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
    params:
        clip=config["clip"],
        device=config["device"],
    script:
        "../scripts/xkd/embed.py"


rule xkd_nouns:
    """The vocabulary's candidate nouns from WordNet (tac: the classes' neighbourhood, a subtree or every noun,
    capped; wordnet_tree: each class's synonyms, hypernyms and hyponyms); runs beside the CLIP's pretraining."""
    input:
        unpack(dataset_files),
        wordnet="results/wordnet/provenance.json",
    output:
        f"{XKD}/{{dataset}}/vocabulary/nouns.csv",
    log:
        "results/logs/xkd/{dataset}/nouns.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        vocabulary=config["xkd"]["vocabulary"],
        nltk_data="results/wordnet/nltk_data",
    script:
        "../scripts/xkd/nouns.py"


rule xkd_candidates:
    """The template-averaged CLIP text embeddings of the candidate nouns, computed once."""
    input:
        unpack(xkd_clip_inputs),
        nouns=f"{XKD}/{{dataset}}/vocabulary/nouns.csv",
    output:
        f"{XKD}/{{dataset}}/vocabulary/candidates.npz",
    log:
        "results/logs/xkd/{dataset}/candidates.log",
    benchmark:
        "results/benchmarks/xkd/{dataset}/candidates.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
    params:
        clip=config["clip"],
        device=config["device"],
    script:
        "../scripts/xkd/candidates.py"


rule xkd_vocabulary:
    """The vocabulary N: tac (spherical k-means of the T_x training images' embeddings, the top nouns per cluster)
    or wordnet_tree (every candidate); the table of selected nouns is a leaf."""
    input:
        embeddings=f"{XKD_CLIP}/embeddings.npz",
        candidates=f"{XKD}/{{dataset}}/vocabulary/candidates.npz",
        splits="results/data/{dataset}/splits.npz",
        subset=lambda w: xkd_teacher_subset(w) or [],
    output:
        vocabulary=f"{XKD}/{{dataset}}/vocabulary/vocabulary.npz",
        clusters=f"{XKD}/{{dataset}}/vocabulary/clusters.npz",
        csv=report(
            f"{XKD}/tables/vocabulary_{{dataset}}.csv",
            caption="../report/xkd/vocabulary.rst",
            category="xkd",
            subcategory="tables",
            labels={"table": "vocabulary", "dataset": "{dataset}"},
        ),
        md=f"{XKD}/tables/vocabulary_{{dataset}}.md",
    log:
        "results/logs/xkd/{dataset}/vocabulary.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        vocabulary=config["xkd"]["vocabulary"],
        seed=config["seed"],
    script:
        "../scripts/xkd/vocabulary.py"


rule xkd_teacher:
    """Train one crossmodal teacher T_x (text arm, seed) over [v(x); t(x)] with CE + hierarchical + cosine
    regulariser, through the classifier trainer on feature rows; the best val checkpoint is kept; resumable."""
    input:
        unpack(xkd_teacher_inputs),
    output:
        best=f"{XKD_TEACHER}/best.pt",
        last=f"{XKD_TEACHER}/last.pt",
        metrics=f"{XKD_TEACHER}/metrics.csv",
        timing=f"{XKD_TEACHER}/timing.csv",
    log:
        "results/logs/xkd/{dataset}/teachers/{arm}/seed-{seed}.log",
    benchmark:
        "results/benchmarks/xkd/{dataset}/teachers/{arm}/seed-{seed}.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
    params:
        teacher=config["xkd"]["teacher"],
        device=config["device"],
        precision=config["precision"],
        state_dir=lambda w: f"{XKD_TEACHER}/.resume".format(**w),
    script:
        "../scripts/xkd/teacher.py"


rule xkd_teacher_measures:
    """Every T_x of a dataset on the test split: top-1, mean softmax entropy, and the image share of its
    Integrated Gradients attribution (captum, zero baseline, target the true label); val top-1 beside."""
    input:
        embeddings=f"{XKD_CLIP}/embeddings.npz",
        splits="results/data/{dataset}/splits.npz",
        teachers=lambda w: [f"{XKD_TEACHER}/best.pt".format(**r) for r in xkd_teacher_runs(w.dataset)],
    output:
        f"{XKD}/{{dataset}}/teachers.csv",
    log:
        "results/logs/xkd/{dataset}/teacher_measures.log",
    benchmark:
        "results/benchmarks/xkd/{dataset}/teacher_measures.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    params:
        runs=lambda w: xkd_teacher_runs(w.dataset),
        ig_steps=config["xkd"]["ig_steps"],
        ig_samples=config["xkd"]["ig_samples"],
        seed=config["seed"],
    script:
        "../scripts/xkd/teacher_measures.py"


rule xkd_student_measures:
    """Val and test top-1 of a dataset's xkd students: no KD, T_m alone and T_m + T_x of each student arm."""
    input:
        unpack(dataset_files),
        checkpoints=lambda w: [m["path"] for m in xkd_student_models(w.dataset)],
    output:
        f"{XKD}/{{dataset}}/students.csv",
    log:
        "results/logs/xkd/{dataset}/student_measures.log",
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
    params:
        models=lambda w: xkd_student_models(w.dataset),
        device=config["device"],
        batch_size=config["training"]["eval_batch_size"],
    script:
        "../scripts/xkd/student_measures.py"


rule xkd_table:
    """An xkd table (main, leakage, mix_sweep, noise_sweep): mean and std over seeds, the paper's numbers beside."""
    input:
        teachers=xkd_files("teachers.csv"),
        students=xkd_files("students.csv"),
        paper=XKD_PAPER,
        paper_leakage=XKD_PAPER_LEAKAGE,
    output:
        csv=report(
            f"{XKD}/tables/{{table}}.csv",
            caption="../report/xkd/tables.rst",
            category="xkd",
            subcategory="tables",
            labels={"table": "{table}"},
        ),
        md=f"{XKD}/tables/{{table}}.md",
    log:
        "results/logs/xkd/table_{table}.log",
    wildcard_constraints:
        table=names_pattern(XKD_TABLES),
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/xkd/table.py"


rule xkd_figure:
    """An xkd figure drawn from the table of the same name."""
    input:
        table=f"{XKD}/tables/{{table}}.csv",
    output:
        png=report(
            f"{XKD}/figures/{{table}}.png",
            caption="../report/xkd/figures.rst",
            category="xkd",
            subcategory="figures",
            labels={"figure": "{table}"},
        ),
        pdf=f"{XKD}/figures/{{table}}.pdf",
    log:
        "results/logs/xkd/figure_{table}.log",
    wildcard_constraints:
        table=names_pattern(XKD_TABLES),
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="table",
    script:
        "../scripts/xkd/figures.py"


rule xkd_figure_vocabulary:
    """xkd figure: the selected nouns of each cluster (or class) beside example images nearest its centre."""
    input:
        unpack(dataset_files),
        clusters=f"{XKD}/{{dataset}}/vocabulary/clusters.npz",
        table=f"{XKD}/tables/vocabulary_{{dataset}}.csv",
    output:
        png=report(
            f"{XKD}/figures/vocabulary_{{dataset}}.png",
            caption="../report/xkd/vocabulary_figure.rst",
            category="xkd",
            subcategory="figures",
            labels={"figure": "vocabulary", "dataset": "{dataset}"},
        ),
        pdf=f"{XKD}/figures/vocabulary_{{dataset}}.pdf",
    log:
        "results/logs/xkd/figure_vocabulary_{dataset}.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="vocabulary",
    script:
        "../scripts/xkd/figures.py"


use rule xkd_figure_vocabulary as xkd_figure_retrievals with:
    """xkd figure: test images with their nearest vocabulary nouns (cosine of CLIP embeddings)."""
    input:
        unpack(dataset_files),
        embeddings=f"{XKD_CLIP}/embeddings.npz",
        vocabulary=f"{XKD}/{{dataset}}/vocabulary/vocabulary.npz",
    output:
        png=report(
            f"{XKD}/figures/retrievals_{{dataset}}.png",
            caption="../report/xkd/retrievals.rst",
            category="xkd",
            subcategory="figures",
            labels={"figure": "retrievals", "dataset": "{dataset}"},
        ),
        pdf=f"{XKD}/figures/retrievals_{{dataset}}.pdf",
    log:
        "results/logs/xkd/figure_retrievals_{dataset}.log",
    localrule: True
    params:
        figure="retrievals",
        seed=config["seed"],


use rule xkd_figure_vocabulary as xkd_figure_clip with:
    """xkd figure: the compact CLIP's pretraining curve and its held-out image-text retrieval against chance."""
    input:
        metrics=f"{XKD_CLIP}/metrics.csv",
        retrieval=f"{XKD_CLIP}/retrieval.json",
    output:
        png=report(
            f"{XKD}/figures/clip_{{dataset}}.png",
            caption="../report/xkd/clip.rst",
            category="xkd",
            subcategory="figures",
            labels={"figure": "compact CLIP", "dataset": "{dataset}"},
        ),
        pdf=f"{XKD}/figures/clip_{{dataset}}.pdf",
    log:
        "results/logs/xkd/figure_clip_{dataset}.log",
    localrule: True
    params:
        figure="clip",


rule xkd_paper_fit:
    """The published xkd numbers re-derived: per dataset and setting the gain of T_x over T_m, and the leak."""
    input:
        paper=XKD_PAPER,
        paper_leakage=XKD_PAPER_LEAKAGE,
    output:
        csv=report(
            "results/reference/xkd_paper_fit.csv",
            caption="../report/xkd/paper_fit.rst",
            category="xkd",
            subcategory="published",
        ),
        md="results/reference/xkd_paper_fit.md",
    log:
        "results/logs/xkd/paper_fit.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/xkd/paper_fit.py"


rule xkd:
    """Target group: every xkd table and figure with the CLIP, vocabulary, teachers and students they measure."""
    input:
        xkd_targets(),
    localrule: True


rule xkd_image_teachers:
    """Target group: the image teachers T_m of every xkd student (classifier runs, shared with lfkd's pool)."""
    input:
        lambda w: sorted({f"{TRAIN}/best.pt".format(**t) for s in xkd_students(config) for t in classifier_teachers(s)}),
    localrule: True
