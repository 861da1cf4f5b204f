"""Admin forms for content items and their suggested texts."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from content.models import ComplianceSettings, ContentItem, ShareText
from content.services.items import share_text_problems, tracked_link_example
from content.services.revisions import APPROVE_PERMISSION, Consequence, content_consequences
from content.text_rules import validate_image_file

__all__ = ["ContentItemForm", "ScheduleForm", "ShareTextForm", "ShareTextInlineFormSet", "tracked_link_example"]


class ContentItemForm(forms.ModelForm):
    # Set by ContentItemAdmin.get_form: whose edit this is (consequences need an approver).
    user = None
    target_locations_text = forms.CharField(
        label="Locations",
        required=False,
        help_text="Comma separated, e.g. London, Berlin. Empty: any location.",
    )
    target_languages_choice = forms.MultipleChoiceField(
        label="Languages",
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Empty: any language.",
    )

    class Meta:
        model = ContentItem
        fields = [
            "title", "url", "summary", "image", "content_type", "topics", "campaign", "hashtags",
            "preview_title", "preview_description", "preview_image_url", "preview_site_name",
            "target_everyone", "target_teams", "priority", "pinned", "publish_at", "expires_at",
            "text_locked", "disclosure", "allow_linkedin", "allow_x",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "preview_description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # With a link the page's own title is used when this is left empty; a title typed
        # here always wins over the fetched one (ContentItem.display_title).
        self.fields["title"].required = False
        self.fields["title"].help_text = (
            "Optional when there is a link: leave it empty to use the page's own title. "
            "A title typed here is always the one employees see."
        )
        if self.instance.pk:
            self.fields["target_locations_text"].initial = ", ".join(
                loc.title() for loc in self.instance.target_location_list
            )
            self.fields["target_languages_choice"].initial = self.instance.target_language_list

    consequences: list[Consequence] = []  # waiting for the approver's confirmation
    confirmed_consequences: list[Consequence] = []  # confirmed: recorded when saved

    def _check_consequences(self, data: dict) -> None:
        """Changes that reach beyond the item (links already posted, the approved text lock,
        disclosure or networks) need the approve permission and an explicit confirmation."""
        if not self.instance.pk or self.user is None:
            return
        new = {f: data.get(f) for f in ("url", "text_locked", "disclosure", "allow_linkedin", "allow_x") if f in data}
        consequences = content_consequences(self.instance, new)
        if not consequences:
            return
        if not self.user.has_perm(APPROVE_PERMISSION):
            for c in consequences:
                self.add_error(c.field, f"{c.message} Only an Approver can make this change.")
        elif not self.data.get("confirm_consequences"):
            self.consequences = consequences
            raise ValidationError("This change reaches beyond the item. Read what it does below, tick "
                                  "“I understand” and save again.")
        else:
            self.confirmed_consequences = consequences

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload
            validate_image_file(image)
        return image

    def clean(self):
        data = super().clean()
        if not (data.get("title") or "").strip() and not data.get("url") and "url" not in self.errors:
            self.add_error("title", "Give a title, or a link to take the title from.")
        publish_at, expires_at = data.get("publish_at"), data.get("expires_at")
        if publish_at and expires_at and expires_at <= publish_at:
            self.add_error("expires_at", "The item must expire after it is published.")
        if not data.get("allow_linkedin") and not data.get("allow_x"):
            raise ValidationError("Allow at least one network, or the item cannot be shared.")
        if not data.get("target_everyone") and not (
            data.get("target_teams") or data.get("target_locations_text") or data.get("target_languages_choice")
        ):
            self.add_error("target_everyone", "Target everyone, or choose teams, locations or languages.")
        self._check_consequences(data)
        return data

    def save(self, commit: bool = True) -> ContentItem:
        item = super().save(commit=False)
        item.target_location_list = [
            v for v in self.cleaned_data.get("target_locations_text", "").split(",") if v.strip()
        ]
        item.target_language_list = self.cleaned_data.get("target_languages_choice") or []
        if commit:
            item.save()
            self.save_m2m()
        return item


class ShareTextInlineFormSet(forms.BaseInlineFormSet):
    """Every suggested text must fit its network with the disclosure and tracked link added."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # a tabular inline's column header is not the checkbox's label
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this suggested text"

    def clean(self) -> None:
        super().clean()
        item: ContentItem = self.instance
        compliance = ComplianceSettings.load()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            text, network = form.cleaned_data.get("text"), form.cleaned_data.get("network")
            if not text or not network:
                continue
            for field, messages in share_text_problems(item, network, text, compliance=compliance).items():
                for message in messages:
                    form.add_error(field, message)


class ShareTextForm(forms.ModelForm):
    class Meta:
        model = ShareText
        fields = ["network", "text", "position"]
        # A tabular inline labels its columns, not its fields: name each control for screen readers.
        widgets = {
            "network": forms.Select(attrs={"aria-label": "Network"}),
            "text": forms.Textarea(attrs={"rows": 3, "cols": 70, "class": "share-text", "aria-label": "Suggested text"}),
            "position": forms.NumberInput(attrs={"aria-label": "Position"}),
        }


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label="Publish at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    note = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 50}))
