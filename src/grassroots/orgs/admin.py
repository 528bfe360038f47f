from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Affiliation, Expert, Membership, Organization, Person


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "uscc", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "name_en", "uscc")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "name_en", "user", "certificate", "home_community")
    search_fields = ("name", "name_en")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("person", "organization", "role")
    list_filter = ("role",)


admin.site.register(Expert, ReadOnlyAdmin)
admin.site.register(Affiliation, ReadOnlyAdmin)
