"""HAM10000 class codes in the models' output order, with the names a clinician reads."""

CLASSES: list[tuple[str, str]] = [
    ("akiec", "actinic keratosis / intraepithelial carcinoma"),
    ("bcc", "basal cell carcinoma"),
    ("bkl", "benign keratosis-like lesion"),
    ("df", "dermatofibroma"),
    ("mel", "melanoma"),
    ("nv", "melanocytic nevus"),
    ("vasc", "vascular lesion"),
]
CODES = [c for c, _ in CLASSES]
MALIGNANT = ["mel", "bcc", "akiec"]

LICENSE = "CC BY-NC 4.0"
CITATION = (
    "Tschandl P., Rosendahl C., Kittler H., \"The HAM10000 dataset, a large collection of multi-source "
    "dermatoscopic images of common pigmented skin lesions\", Sci. Data 5, 180161 (2018), "
    "doi:10.1038/sdata.2018.161"
)
