# PyInstaller runtime hook (build.spec): before the app runs, let torchvision import beside a
# CPU torch without its compiled operators (core/torchvision_compat.py says why). It adds an
# import finder only; torch is imported when torchvision first is, not at start.
from core import torchvision_compat

torchvision_compat.install()
