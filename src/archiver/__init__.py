"""archiver: archives what news agencies publish."""

__version__ = "0.1.0"
